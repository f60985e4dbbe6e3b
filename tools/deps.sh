#!/bin/sh
# Install the Debian packages named as arguments that are not installed yet.
# Quiet and quick when everything is present; apt-get as root, sudo otherwise.
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "muonlab: installing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || exit 1
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "muonlab: apt-get install failed for:$missing" >&2; exit 1; }
