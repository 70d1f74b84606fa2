#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine, idempotently.
#   scripts/setup.sh          runtime: Java (HermiT), Graphviz, the venv, YASGUI's files
#   scripts/setup.sh --test   also: the OWL API, a JDK, Chromium + driver, wrk (tests, benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_packages=()
command -v java >/dev/null || apt_packages+=(default-jre-headless)
command -v dot >/dev/null || apt_packages+=(graphviz)
if [ $want_test = 1 ]; then
  command -v javac >/dev/null || apt_packages+=(default-jdk-headless)
  [ -e /usr/share/java/owlapi-distribution.jar ] || apt_packages+=(libowlapi-java)
  command -v chromium >/dev/null || apt_packages+=(chromium)
  command -v chromedriver >/dev/null || apt_packages+=(chromium-driver)
  command -v wrk >/dev/null || apt_packages+=(wrk)
  # A Chinese font, so that the screenshots the browser tests save show the zh labels.
  fc-list :lang=zh 2>/dev/null | grep -q . || apt_packages+=(fonts-wqy-zenhei)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${apt_packages[*]}"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${apt_packages[@]}" >/dev/null
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=""
[ $want_test = 1 ] && extras="[test]"
stamp=".venv/.installed$extras"
if [ ! -e "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e ".$extras"
  touch "$stamp"
fi

# YASGUI for the browser page, served by the service itself (no CDN at run time).
yasgui_dir=src/kg/web/static/vendor/yasgui
yasgui_version=4.6.2
if [ ! -s "$yasgui_dir/yasgui.min.js" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@zazuko/yasgui@$yasgui_version" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$yasgui_dir"
  cp "$tmp/package/build/yasgui.min.js" "$tmp/package/build/yasgui.min.css" "$yasgui_dir/"
  rm -rf "$tmp"
fi
echo "setup: ready (.venv)"
