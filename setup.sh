#!/usr/bin/env bash
# Install storycheck and everything it needs into ./.venv on a fresh Debian or Ubuntu machine
# (Python 3.11 or newer). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

# System packages: WordNet for the despinner; the venv module where Python lacks it.
apt_packages=(wordnet-base)
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
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import storycheck" # fail here, not later, if the install did not work
