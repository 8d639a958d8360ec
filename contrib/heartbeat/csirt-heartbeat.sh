#!/bin/sh
# csirt-heartbeat.sh: tell csirt this server is alive, with its monitoring agent and antivirus.
# POSIX sh + curl. Run it from cron every few minutes (see README, "Heartbeats from the servers").
#
# Settings (environment, or a file named by CSIRT_HEARTBEAT_CONF, default /etc/csirt-heartbeat.conf,
# holding lines such as CSIRT_URL=https://csirt.example.gov.vn):
#   CSIRT_URL     csirt's address (required), e.g. https://csirt.example.gov.vn
#   CSIRT_TOKEN   the heartbeat token issued for this server (required)
#   SERVER        this server's host name as in csirt's inventory (default: hostname)
#   AGENT_NAME, AGENT_VERSION          override the agent detection (default: Wazuh, if installed)
#   AV_PRODUCT, AV_ENABLED, AV_SIGNATURE_DATE (YYYY-MM-DD)
#                                      override the antivirus detection (default: ClamAV, if installed)
#   CSIRT_CURL_OPTS                    extra curl options, e.g. "--cacert /etc/ssl/csirt-ca.pem"
#   CSIRT_DRY_RUN=1                    print the JSON instead of sending it
set -u

conf=${CSIRT_HEARTBEAT_CONF:-/etc/csirt-heartbeat.conf}
if [ -r "$conf" ]; then
    # shellcheck disable=SC1090
    . "$conf"
fi

: "${CSIRT_URL:?set CSIRT_URL}"
: "${CSIRT_TOKEN:?set CSIRT_TOKEN}"
SERVER=${SERVER:-$(hostname 2>/dev/null || uname -n)}

# JSON string escaping: backslash, double quote, and control characters (dropped).
json_str() {
    printf '%s' "$1" | tr -d '\000-\010\013-\037\177' | tr '\n\t' '  ' \
        | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/"/'
}

json_or_null() {
    if [ -n "$1" ]; then json_str "$1"; else printf 'null'; fi
}

# --- the agent: Wazuh if installed, else the environment ---------------------------------------
agent_name=${AGENT_NAME:-}
agent_version=${AGENT_VERSION:-}
if [ -z "$agent_name" ] && [ -x /var/ossec/bin/wazuh-control ]; then
    agent_name=wazuh-agent
    if [ -z "$agent_version" ]; then
        agent_version=$(/var/ossec/bin/wazuh-control info 2>/dev/null \
            | sed -n 's/^WAZUH_VERSION="\{0,1\}v\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' | head -n 1)
    fi
fi

# --- the antivirus: ClamAV if installed, else the environment -----------------------------------
av_product=${AV_PRODUCT:-}
av_enabled=${AV_ENABLED:-}
av_date=${AV_SIGNATURE_DATE:-}
if [ -z "$av_product" ] && command -v clamscan >/dev/null 2>&1; then
    # "ClamAV 1.0.7/27480/Mon Dec  2 09:27:14 2026": product/signature version/signature date
    version_line=$(clamscan --version 2>/dev/null | head -n 1)
    av_product=$(printf '%s' "$version_line" | cut -d/ -f1)
    if [ -z "$av_date" ]; then
        sig=$(printf '%s' "$version_line" | cut -d/ -f3)
        if [ -n "$sig" ]; then
            av_date=$(date -u -d "$sig" +%Y-%m-%d 2>/dev/null || true)
        fi
    fi
    if [ -z "$av_enabled" ]; then
        if pgrep -x clamd >/dev/null 2>&1 || pgrep -x freshclam >/dev/null 2>&1; then
            av_enabled=true
        else
            av_enabled=false
        fi
    fi
fi
case "$av_enabled" in
    true|1|yes) av_enabled=true ;;
    false|0|no) av_enabled=false ;;
    *) av_enabled=null ;;
esac
case "$av_date" in
    [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]) ;;
    *) av_date= ;;
esac

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
body=$(printf '{"server": %s, "time": "%s", "agent": {"name": %s, "version": %s}, "antivirus": {"product": %s, "enabled": %s, "signature_date": %s}}' \
    "$(json_str "$SERVER")" "$now" "$(json_or_null "$agent_name")" "$(json_or_null "$agent_version")" \
    "$(json_or_null "$av_product")" "$av_enabled" "$(json_or_null "$av_date")")

if [ "${CSIRT_DRY_RUN:-}" = 1 ]; then
    printf '%s\n' "$body"
    exit 0
fi

# The token goes to curl in a header file, not on its command line, so `ps` does not show it.
header_file=$(mktemp) || exit 1
trap 'rm -f "$header_file"' EXIT HUP INT TERM
printf 'Authorization: Bearer %s\n' "$CSIRT_TOKEN" > "$header_file"

# shellcheck disable=SC2086
printf '%s' "$body" | curl --fail --silent --show-error --max-time "${CSIRT_MAX_TIME:-20}" \
    -H "@$header_file" -H 'Content-Type: application/json' --data-binary @- \
    ${CSIRT_CURL_OPTS:-} "${CSIRT_URL%/}/api/v1/heartbeats" >/dev/null
