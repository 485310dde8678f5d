#!/bin/bash
# Stops the processes that start.sh and backend.sh recorded in STATE/pids, and a backend
# that was started by hand with the demo's own config, and nothing else.
#
# Usage: stop.sh [--state DIR]     (default /tmp/mailpin-demo)
#
# Dovecot backends are stopped with "doveadm -c STATE/dovecot/beN.conf stop". Roundcube's
# php -S servers and the gateway get SIGTERM to their process group. Each process has
# 15 s to exit before it gets SIGKILL. Mail, databases, secrets and logs stay in STATE,
# so a later start.sh reuses them (start.sh --reset deletes them).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES_DIR=$(dirname "$SCRIPT_DIR")
LOG_PREFIX=stop.sh
# shellcheck source=../common.sh
source "$EXAMPLES_DIR/common.sh"

STATE=/tmp/mailpin-demo
while (($# > 0)); do
    case "$1" in
        --state)
            [[ $# -ge 2 && -n "$2" ]] || fail "--state needs a folder"
            STATE=$2
            shift 2
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) fail "unknown option '$1'; run $0 --help" ;;
    esac
done
STATE=$(absolute_path "$STATE")

[[ -d "$STATE" ]] || fail "state folder $STATE does not exist"
require_root

# Stops each backend whose master runs with STATE/dovecot/ID.conf but is missing from
# STATE/pids, e.g. after "dovecot -c STATE/dovecot/be2.conf" by hand. Fails if one still runs.
stop_unrecorded_backends() {
    local config id pid failures=0
    for config in "$STATE"/dovecot/*.conf; do
        [[ -f "$config" ]] || continue
        id=$(basename "$config" .conf)
        pid=$(cat "$STATE/dovecot/$id/run/master.pid" 2>/dev/null) || continue
        [[ "$pid" =~ ^[0-9]+$ ]] && is_recorded_process "$pid" "$STATE" || continue
        log "$id (PID $pid) runs but is not in $STATE/pids; stopping it with doveadm -c $config stop."
        doveadm -c "$config" stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
        if wait_for_exit "$pid" 15; then
            log "stopped $id (PID $pid)."
        else
            warn "failed to stop $id (PID $pid); stop it with: doveadm -c $config stop"
            failures=$((failures + 1))
        fi
    done
    ((failures == 0))
}

recorded_stopped=true
stop_recorded_processes "$STATE" "$STATE/dovecot" || recorded_stopped=false
unrecorded_stopped=true
stop_unrecorded_backends || unrecorded_stopped=false
if ! $recorded_stopped; then
    fail "some processes did not stop; see the warnings above. $STATE/pids is kept."
fi
$unrecorded_stopped || fail "a backend did not stop; see the warning above."
log "the demo in $STATE is stopped. Logs stay in $STATE/logs."
