#!/usr/bin/env bash
# Installs what the tests need (as root, on Debian 12), builds Mailpin and runs every test:
# Java unit tests, integration tests against real Dovecot, Roundcube, Hazelcast and Chromium,
# and the Roundcube plugin's PHPUnit tests.
#
#   ./test.sh            everything
#   ./test.sh --unit     unit tests only (no Dovecot, Roundcube or browser needed)
set -euo pipefail

repo=$(cd "$(dirname "$0")" && pwd)
cd "$repo"

unit_only=false
if [[ ${1:-} == --unit ]]; then
    unit_only=true
fi

find_jdk() {
    local candidate major
    for candidate in ${JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
        [[ -x $candidate/bin/javac ]] || continue
        major=$("$candidate/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
        if [[ -n $major && $major -ge 21 ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! $unit_only; then
    examples/install-deps.sh
fi
if ! command -v mvn >/dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends maven
fi
# Debian 12 packages only JDK 17, so a JDK 21+ has to come from elsewhere (Temurin, backports).
if ! JAVA_HOME=$(find_jdk); then
    echo "test.sh: no JDK 21 or newer found in JAVA_HOME or /usr/lib/jvm; install one, e.g. Temurin 21," \
        "or set JAVA_HOME to it" >&2
    exit 69
fi
export JAVA_HOME
echo "test.sh: using JDK $JAVA_HOME"

if $unit_only; then
    mvn -B -ntp -DskipITs test
    exit 0
fi

mvn -B -ntp verify
phpunit -c webmail-plugin/phpunit.xml
