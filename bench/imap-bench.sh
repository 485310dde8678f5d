#!/usr/bin/env bash
# Side-by-side IMAP benchmark on loopback, as root:
#   1. LOGIN+LOGOUT per second and FETCH of a 10 MB message, through Mailpin, through Dovecot
#      2.3's own director, and direct to a backend, in alternating rounds;
#   2. resident memory of the Mailpin JVM per idle proxied IMAP connection.
# Starts everything it needs in STATE (default /tmp/mailpin-bench) and stops it at the end.
#
# Usage: bench/imap-bench.sh [--rounds N] [--seconds S] [--threads T] [--idle N] [--state DIR]
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

# The integration tests and this script use the same fixed loopback addresses. Both take the
# POSIX lock on this file (the tests through Java's FileChannel.lock), so they wait for each other.
lock_file=${TMPDIR:-/tmp}/mailpin-topology.lock
if [[ -z ${MAILPIN_TOPOLOGY_LOCKED:-} ]]; then
    exec python3 -c '
import fcntl, os, sys
lock = open(sys.argv[1], "a")
fcntl.lockf(lock, fcntl.LOCK_EX)
os.set_inheritable(lock.fileno(), True)
os.environ["MAILPIN_TOPOLOGY_LOCKED"] = "1"
os.execvp(sys.argv[2], sys.argv[2:])
' "$lock_file" "$0" "$@"
fi
rounds=3 seconds=10 threads=4 idle=9000 state=/tmp/mailpin-bench
while (($# > 0)); do
    case "$1" in
        --rounds) rounds=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --idle) idle=$2; shift 2 ;;
        --state) state=$2; shift 2 ;;
        *) echo "imap-bench: unknown option $1" >&2; exit 2 ;;
    esac
done

java=""
for candidate in ${JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if [[ -x $candidate/bin/java ]] && "$candidate/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
        java=$candidate/bin/java
        break
    fi
done
[[ -n $java ]] || { echo "imap-bench: no JDK 21+ found" >&2; exit 69; }

pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    "$repo/examples/dovecot-director/stop-director.sh" --state "$state/director" >/dev/null 2>&1 || true
    "$repo/examples/seed-topology/stop.sh" --state "$state/demo" >/dev/null 2>&1 || true
}
trap cleanup EXIT

mkdir -p "$state"
"$repo/examples/seed-topology/start.sh" --no-gateway --reset --state "$state/demo" --users 24 >"$state/demo.log"
"$repo/examples/dovecot-director/start-director.sh" --ip 127.0.0.31 --state "$state/director" \
    --backends "127.0.0.11 127.0.0.12" --vhosts "100 100" >"$state/director.log"

# The gateway under test: the demo's backends, IMAP on 127.0.0.1:11143.
head -c 48 /dev/urandom | base64 >"$state/secret"
head -c 24 /dev/urandom | base64 >"$state/admin-token"
write_config() {
    local file=$1 web=$2 admin=$3 cluster=$4 imap=$5 backends=$6
    cat >"$file" <<YAML
node: bench
director:
  user-expire: 15m
backends:
$backends
web:
  listen: 127.0.0.1:$web
  secret-file: $state/secret
  roundcube:
    - id: rc1
      url: http://127.0.0.21:8081/
admin:
  listen: 127.0.0.1:$admin
  token-file: $state/admin-token
cluster:
  bind: 127.0.0.1:$cluster
mail:
  listeners:
    - protocol: imap
      listen: 127.0.0.1:$imap
YAML
}
write_config "$state/gateway.yaml" 18080 19180 15711 11143 "  - {id: be1, address: 127.0.0.11}
  - {id: be2, address: 127.0.0.12}"
"$repo/bin/mailpin" serve --config "$state/gateway.yaml" >"$state/gateway.log" 2>&1 &
pids+=($!)

for ((i = 1; i <= 24; i++)); do
    printf 'user%02d@example.test secret%02d\n' "$i" "$i"
done >"$state/users.txt"

# One 10 MB message in user24's INBOX, delivered straight to be1's LMTP.
python3 - "$state" <<'PY'
import smtplib, sys
body = ("x" * 998 + "\r\n") * 10500
message = "From: bench@example.test\r\nTo: user24@example.test\r\nSubject: 10 MB\r\n\r\n" + body
client = smtplib.LMTP("127.0.0.11", 24)
client.sendmail("bench@example.test", ["user24@example.test"], message)
client.quit()
PY

for _ in $(seq 60); do
    (exec 3<>/dev/tcp/127.0.0.1/11143) 2>/dev/null && break
    sleep 1
done

bench() { "$java" "$repo/bench/ImapBench.java" "$@"; }
targets=("mailpin 127.0.0.1:11143" "director 127.0.0.31:143" "direct 127.0.0.11:143")
{
    echo "# $(date -u +%FT%TZ) $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
    for ((round = 1; round <= rounds; round++)); do
        for target in "${targets[@]}"; do
            name=${target% *}
            address=${target#* }
            echo "round=$round target=$name $(bench logins "$address" "$state/users.txt" "$seconds" "$threads")"
            echo "round=$round target=$name $(bench fetch "$address" user24@example.test secret24 20)"
        done
    done
} | tee "$state/results.txt"

# Memory per idle connection: a second gateway in front of a stand-in backend, because real
# backends cannot hold thousands of logged-in sessions here. The sandbox allows 20 000 open
# files per process and the gateway needs two per proxied connection.
python3 "$repo/bench/fake-imap-backend.py" 127.0.0.41 143 &
pids+=($!)
write_config "$state/gateway-idle.yaml" 18081 19181 15712 11144 "  - {id: fake, address: 127.0.0.41}"
MAILPIN_JAVA_OPTS="-Xmx2g" "$repo/bin/mailpin" serve --config "$state/gateway-idle.yaml" >"$state/gateway-idle.log" 2>&1 &
gateway_pid=$!
pids+=("$gateway_pid")
for _ in $(seq 60); do
    (exec 3<>/dev/tcp/127.0.0.1/11144) 2>/dev/null && break
    sleep 1
done
java_pid=$(pgrep -P "$gateway_pid" java || echo "$gateway_pid")
echo "target=mailpin-idle $(bench idle 127.0.0.1:11144 "$state/users.txt" "$idle" "$java_pid")" | tee -a "$state/results.txt"
