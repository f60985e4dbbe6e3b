#!/bin/sh
# The Debian packages named as arguments that are not installed yet.
#   tools/deps.sh --check PKG...    name the missing ones and fail (plain `make`)
#   tools/deps.sh [--install] PKG...  install them (`make deps`, `make test`, `make demo`);
#                                     apt-get as root, sudo otherwise.
# Quiet and quick when everything is present.
mode=install
case "$1" in
    --check) mode=check; shift ;;
    --install) shift ;;
esac
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$mode" = check ]; then
    echo "muonlab: missing Debian packages:$missing" >&2
    echo "muonlab: install them with 'make deps' (or 'make test' / 'make demo', which install what is missing)" >&2
    exit 1
fi
echo "muonlab: installing Debian packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || exit 1
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
    echo "muonlab: apt-get install failed for:$missing" >&2; exit 1; }
