#!/usr/bin/env bash
# Installs the system packages the integration tests start for real (Redis, ZooKeeper,
# PostgreSQL, Chromium, Xvfb, Firefox ESR, a CJK font, promtool, systemd-analyze, openssl) -- only those that are missing, so it is a no-op when all are there.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/share/zookeeper/bin/zkServer.sh ] || need+=(zookeeperd)
command -v java >/dev/null || need+=(default-jre-headless)
{ command -v postgres >/dev/null || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; } || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
# Xvfb: the attack bench's people drag in a headed Chromium on a virtual display.
command -v Xvfb >/dev/null || need+=(xvfb)
# Firefox ESR: the widget's browser probe is also checked in Firefox (over WebDriver BiDi).
command -v firefox-esr >/dev/null || need+=(firefox-esr)
# systemd-analyze, which verifies the unit files in deploy/systemd/.
command -v systemd-analyze >/dev/null || need+=(systemd)
# openssl makes the throwaway certificates of the TLS tests (ring AUTH/TLS, vendor-host proxy).
command -v openssl >/dev/null || need+=(openssl)
# CJK glyphs, so the widget's Chinese screenshots show characters rather than boxes.
[ -d /usr/share/fonts/truetype/wqy ] || need+=(fonts-wqy-microhei)
# promtool (Debian ships it in the Prometheus server's package) checks /metrics and deploy/prometheus.
command -v promtool >/dev/null || need+=(prometheus)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing test dependencies: ${need[*]}; run: sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing test dependencies: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
# Only promtool is wanted from that package: where systemd runs, it would also start a
# Prometheus server listening on every interface.
if [[ " ${need[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
