#!/bin/bash
# Starts the Mailpin demo topology on loopback addresses:
#   - two Dovecot 2.3 backends (be1 127.0.0.11, be2 127.0.0.12) that share one Maildir tree
#   - two Roundcube 1.6 instances with the mailpin plugin under "php -S"
#     (rc1 127.0.0.21:8081, rc2 127.0.0.22:8082)
#   - the Mailpin gateway on 127.0.0.1:8080 in front of both Roundcube instances
#
# Usage: start.sh [--shape separate|shared] [--state DIR] [--users N] [--no-gateway] [--reset]
#
#   --shape separate  each Roundcube has its own SQLite database and des_key (default)
#   --shape shared    both Roundcube instances share one database file and one des_key
#   --state DIR       folder for configs, mail, databases, logs and PIDs (default /tmp/mailpin-demo)
#   --users N         number of demo users user01@example.test ... (default 24, at most 999)
#   --no-gateway      start only Dovecot and Roundcube, for tests that start the gateway themselves
#   --reset           delete the state folder of an earlier run first (mail, databases, secrets)
#
# Runs as root. Stop everything with: stop.sh --state DIR
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
EXAMPLES_DIR=$(dirname "$SCRIPT_DIR")
REPO=$(dirname "$EXAMPLES_DIR")
PLUGIN_DIR=$REPO/webmail-plugin/mailpin
LOG_PREFIX=start.sh
# shellcheck source=../common.sh
source "$EXAMPLES_DIR/common.sh"

DOMAIN=example.test
BACKEND_IDS=(be1 be2)
BACKEND_ADDRESSES=(127.0.0.11 127.0.0.12)
SUBMISSION_RELAY_ADDRESS=127.0.0.25
SUBMISSION_RELAY_PORT=2525
WEBMAIL_IDS=(rc1 rc2)
WEBMAIL_ADDRESSES=(127.0.0.21 127.0.0.22)
WEBMAIL_PORTS=(8081 8082)
GATEWAY_LISTEN=127.0.0.1:8080
ADMIN_LISTEN=127.0.0.1:9180
# The gateway's mail listeners: IMAP 1143, POP3 1110, LMTP 1024, ManageSieve 14190, Submission 1587.
MAIL_HOST=127.0.0.1
GATEWAY_URL=http://$GATEWAY_LISTEN/mail/
# Mail files belong to this numeric uid/gid, which has no /etc/passwd entry on a
# stock Debian system. Dovecot accepts a bare number when first_valid_uid and
# last_valid_uid allow it, so no account has to be created.
MAIL_UID=5000
MAIL_GID=5000
ROUNDCUBE_SHARE=/usr/share/roundcube
ROUNDCUBE_DEFAULTS=/etc/roundcube/defaults.inc.php
STATE_MARKER=.mailpin-demo-state
GATEWAY_START_SECONDS=60

SHAPE=separate
STATE=/tmp/mailpin-demo
USER_COUNT=24
START_GATEWAY=true
RESET=false

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

parse_arguments() {
    while (($# > 0)); do
        case "$1" in
            --shape)
                [[ $# -ge 2 ]] || fail "--shape needs a value: separate or shared"
                SHAPE=$2
                shift 2
                ;;
            --state)
                [[ $# -ge 2 && -n "$2" ]] || fail "--state needs a folder"
                STATE=$2
                shift 2
                ;;
            --users)
                [[ $# -ge 2 ]] || fail "--users needs a number"
                USER_COUNT=$2
                shift 2
                ;;
            --no-gateway)
                START_GATEWAY=false
                shift
                ;;
            --reset)
                RESET=true
                shift
                ;;
            -h | --help)
                usage
                exit 0
                ;;
            *) fail "unknown option '$1'; run $0 --help" ;;
        esac
    done
    [[ "$SHAPE" == separate || "$SHAPE" == shared ]] \
        || fail "invalid --shape '$SHAPE': expected separate or shared"
    [[ "$USER_COUNT" =~ ^[0-9]+$ ]] && ((10#$USER_COUNT >= 1 && 10#$USER_COUNT <= 999)) \
        || fail "invalid --users '$USER_COUNT': expected a number from 1 to 999"
    USER_COUNT=$((10#$USER_COUNT))
    STATE=$(absolute_path "$STATE")
    [[ "$STATE" != / ]] || fail "--state must not be /"
}

user_name() { printf 'user%02d@%s' "$1" "$DOMAIN"; }
# The start-up check logs in as this account on both backends, so the demo users' logins in
# be1.log and be2.log show only where the director sent them.
PROBE_USER=probe@example.test
PROBE_PASSWORD=probe-only
user_password() { printf 'secret%02d' "$1"; }

ensure_packages() {
    if ! "$EXAMPLES_DIR/install-deps.sh" --check >/dev/null; then
        log "some Debian packages are missing; running install-deps.sh"
        "$EXAMPLES_DIR/install-deps.sh"
    fi
    [[ -d "$ROUNDCUBE_SHARE/program" && -f "$ROUNDCUBE_DEFAULTS" ]] \
        || fail "Roundcube files not found in $ROUNDCUBE_SHARE and $ROUNDCUBE_DEFAULTS; is roundcube-core installed?"
}

# Checks that --state may be used. A folder is reused only if an earlier run of this
# script created it, so a mistyped --state never mixes demo files into other data.
check_state_folder() {
    if [[ -e "$STATE" && ! -d "$STATE" ]]; then
        fail "--state $STATE exists and is not a folder"
    fi
    if [[ -d "$STATE" && -n "$(ls -A "$STATE")" && ! -f "$STATE/$STATE_MARKER" ]]; then
        fail "$STATE is not empty and was not created by this script; choose another --state"
    fi

    local running
    running=$(list_running_recorded "$STATE")
    if [[ -n "$running" ]]; then
        fail "the demo in $STATE is already running (PID NAME: $(echo "$running" | tr '\n' ' '))." \
            "Stop it first: $SCRIPT_DIR/stop.sh --state $STATE"
    fi

    # Unix socket paths are limited to 108 bytes. Dovecot 2.3.19's longest socket
    # below base_dir is token-login/imap-urlauth, and base_dir is STATE/dovecot/beN/run.
    if ((${#STATE} > 64)); then
        warn "the state path is ${#STATE} characters long; Dovecot socket paths may exceed the 108-byte limit."
    fi
}

# Creates the state folder, or empties it first with --reset.
prepare_state_folder() {
    if $RESET && [[ -f "$STATE/$STATE_MARKER" ]]; then
        log "--reset: deleting $STATE"
        rm -rf -- "$STATE"
    fi

    mkdir -p "$STATE"
    chmod 0755 "$STATE"
    touch "$STATE/$STATE_MARKER"
    rm -f "$STATE/pids"
    mkdir -p "$STATE/logs" "$STATE/dovecot" "$STATE/roundcube" "$STATE/mail"
    chown "$MAIL_UID:$MAIL_GID" "$STATE/mail"
    chmod 0750 "$STATE/mail"
}

check_addresses_are_free() {
    local -a specs=()
    local i
    for i in "${!BACKEND_ADDRESSES[@]}"; do
        specs+=("${BACKEND_ADDRESSES[$i]}:143" "${BACKEND_ADDRESSES[$i]}:110"
            "${BACKEND_ADDRESSES[$i]}:24" "${BACKEND_ADDRESSES[$i]}:4190"
            "${BACKEND_ADDRESSES[$i]}:587")
    done
    for i in "${!WEBMAIL_ADDRESSES[@]}"; do
        specs+=("${WEBMAIL_ADDRESSES[$i]}:${WEBMAIL_PORTS[$i]}")
    done
    if $START_GATEWAY; then
        specs+=("$GATEWAY_LISTEN" "$ADMIN_LISTEN" "$MAIL_HOST:1143" "$MAIL_HOST:1110" "$MAIL_HOST:1024"
            "$MAIL_HOST:14190" "$MAIL_HOST:1587")
    fi
    if ! check_listen_addresses "${specs[@]}"; then
        fail "cannot start: the addresses above are taken. Nothing was started."
    fi
}

check_mail_uid() {
    local account
    account=$(getent passwd "$MAIL_UID" | cut -d: -f1 || true)
    if [[ -n "$account" ]]; then
        warn "uid $MAIL_UID belongs to the account '$account' here; that account can read the demo mail in $STATE/mail."
    fi
}

# --- Secrets --------------------------------------------------------------------------

# Writes a random value to FILE with mode 0600 unless FILE exists, so a restart
# keeps the secrets that a running browser session or test may already hold.
write_secret_file() {
    local file=$1 bytes=$2
    if [[ -s "$file" ]]; then
        chmod 0600 "$file"
        return
    fi
    (
        umask 077
        head -c "$bytes" /dev/urandom | base64 -w0 >"$file.tmp"
        mv -f "$file.tmp" "$file"
    )
}

write_secrets() {
    # The gateway and the plugin sign X-Mailpin-Route with this HMAC key.
    write_secret_file "$STATE/secret" 48
    write_secret_file "$STATE/admin-token" 32
    # Roundcube's des_key must be exactly 24 characters: 18 random bytes in base64.
    write_secret_file "$STATE/roundcube/rc1.des_key" 18
    write_secret_file "$STATE/roundcube/rc2.des_key" 18
    write_secret_file "$STATE/roundcube/shared.des_key" 18
}

# --- Dovecot backends -----------------------------------------------------------------

write_users_file() {
    local file=$STATE/dovecot/users.passwd i hash
    : >"$file.tmp"
    for ((i = 1; i <= USER_COUNT; i++)); do
        hash=$(doveadm -O pw -s SHA512-CRYPT -p "$(user_password "$i")")
        # passwd-file format: user:password:uid:gid:gecos:home:shell:extra_fields.
        # uid, gid and home come from the userdb's default_fields.
        printf '%s:%s::::::\n' "$(user_name "$i")" "$hash" >>"$file.tmp"
    done
    hash=$(doveadm -O pw -s SHA512-CRYPT -p "$PROBE_PASSWORD")
    printf '%s:%s::::::\n' "$PROBE_USER" "$hash" >>"$file.tmp"
    # Dovecot's auth process runs as the "dovecot" user and must read this file.
    chown root:dovecot "$file.tmp"
    chmod 0640 "$file.tmp"
    mv -f "$file.tmp" "$file"
}

# Writes STATE/dovecot/ID.conf, a self-contained Dovecot 2.3 configuration that does not
# include anything from /etc/dovecot.
write_backend_config() {
    local id=$1 address=$2
    local config=$STATE/dovecot/$id.conf
    mkdir -p "$STATE/dovecot/$id/run" "$STATE/dovecot/$id/lib"
    cat >"$config" <<EOF
# Dovecot 2.3 configuration of the Mailpin demo backend $id ($address).
# Written by examples/seed-topology/start.sh on every start; edits are overwritten.
instance_name = mailpin-$id
base_dir = $STATE/dovecot/$id/run
state_dir = $STATE/dovecot/$id/lib
listen = $address
protocols = imap pop3 lmtp sieve submission
ssl = no

# Loopback only: plaintext logins without TLS are acceptable here.
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_username_format = %Lu
auth_verbose = yes
# Dovecot's director and the Mailpin gateway connect from 127.0.0.x and forward the
# client's address and session id, which a backend accepts only from trusted networks.
login_trusted_networks = 127.0.0.0/8

log_path = $STATE/logs/$id.log
# rip/lip are the client addresses a trusted proxy forwarded; real_lip is the address
# this backend accepted the connection on and real_rip the proxy's. A literal
# "backend=$id" here would be dropped, so mail_log_prefix carries the backend id.
login_log_format_elements = user=<%u> method=%m rip=%r lip=%l mpid=%e %c session=<%{session}> real_lip=%{real_lip} real_rip=%{real_rip}
mail_log_prefix = "%s(%u)<%{pid}><%{session}>: backend=$id "
verbose_proctitle = yes

# be1 and be2 share this Maildir tree, as NFS-backed backends would.
mail_location = maildir:$STATE/mail/%d/%n/Maildir
mmap_disable = yes
mail_fsync = always
mail_uid = $MAIL_UID
mail_gid = $MAIL_GID
first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID
last_valid_gid = $MAIL_GID
postmaster_address = postmaster@$DOMAIN

passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $STATE/dovecot/users.passwd
}
userdb {
  driver = passwd-file
  args = $STATE/dovecot/users.passwd
  default_fields = uid=$MAIL_UID gid=$MAIL_GID home=$STATE/mail/%d/%n
}

namespace inbox {
  inbox = yes
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}

service imap-login {
  inet_listener imap {
    port = 143
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 110
  }
  inet_listener pop3s {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    port = 24
  }
}
service managesieve-login {
  inet_listener sieve {
    port = 4190
  }
}
service submission-login {
  inet_listener submission {
    port = 587
  }
  inet_listener submissions {
    port = 0
  }
}
# Dovecot's submission service hands accepted mail to this SMTP server. Nothing listens
# there in the demo, so sending fails; the submission integration test starts a sink there.
submission_relay_host = $SUBMISSION_RELAY_ADDRESS
submission_relay_port = $SUBMISSION_RELAY_PORT

protocol imap {
  # The limit counts connections per user and forwarded client address. Behind a
  # proxy, tests open many sessions of one user from one address; 10 is the default.
  mail_max_userip_connections = 50
}
protocol lmtp {
  mail_plugins = \$mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
EOF
    doveconf -c "$config" -n >/dev/null 2>"$STATE/logs/$id.doveconf-errors" \
        || fail "Dovecot rejects $config: $(cat "$STATE/logs/$id.doveconf-errors")"
    rm -f "$STATE/logs/$id.doveconf-errors"
}

# Checks that the unprivileged Dovecot processes can reach the files they need,
# which fails when the state folder sits below a private folder such as /root.
check_backend_file_access() {
    setpriv --reuid=dovecot --regid=dovecot --init-groups test -r "$STATE/dovecot/users.passwd" \
        || fail "the dovecot user cannot read $STATE/dovecot/users.passwd; every parent folder of --state needs o+x"
    setpriv --reuid="$MAIL_UID" --regid="$MAIL_GID" --clear-groups test -w "$STATE/mail" \
        || fail "uid $MAIL_UID cannot write $STATE/mail; every parent folder of --state needs o+x"
}

start_backend() {
    local id=$1 address=$2 pid
    # The master keeps the caller's stdout and stderr open unless they are
    # redirected, which would keep a pipe from this script open forever.
    setsid dovecot -F -c "$STATE/dovecot/$id.conf" </dev/null >>"$STATE/logs/$id.stderr.log" 2>&1 &
    pid=$!
    record_pid "$STATE" "$pid" "$id" dovecot
    if ! wait_for_tcp "$address" 143 15; then
        fail "backend $id did not accept connections on $address:143 within 15 s; see $STATE/logs/$id.log and $STATE/logs/$id.stderr.log"
    fi
    log "started Dovecot backend $id on $address (PID $pid, IMAP 143, POP3 110, LMTP 24, ManageSieve 4190, Submission 587)"
}

# Delivers a welcome message to every user whose INBOX is empty, alternating between
# be1 and be2, so that both LMTP listeners are used and FETCH 1 works for everyone.
seed_mailboxes() {
    local i user maildir
    local -a recipients_be1=() recipients_be2=()
    for ((i = 1; i <= USER_COUNT; i++)); do
        user=$(user_name "$i")
        maildir=$STATE/mail/$DOMAIN/$(printf 'user%02d' "$i")/Maildir
        if [[ -n "$(find "$maildir/new" "$maildir/cur" -maxdepth 1 -type f -print -quit 2>/dev/null)" ]]; then
            continue
        fi
        if ((i % 2 == 1)); then
            recipients_be1+=("$user")
        else
            recipients_be2+=("$user")
        fi
    done

    maildir=$STATE/mail/$DOMAIN/${PROBE_USER%@*}/Maildir
    if [[ -z "$(find "$maildir/new" "$maildir/cur" -maxdepth 1 -type f -print -quit 2>/dev/null)" ]]; then
        recipients_be1+=("$PROBE_USER")
    fi

    local seeded=$((${#recipients_be1[@]} + ${#recipients_be2[@]}))
    if ((seeded == 0)); then
        log "every INBOX already has mail; nothing to deliver."
        return
    fi

    if ((${#recipients_be1[@]} > 0)); then
        python3 "$SCRIPT_DIR/lmtp-deliver.py" --host "${BACKEND_ADDRESSES[0]}" \
            --label "be1 (${BACKEND_ADDRESSES[0]})" "${recipients_be1[@]}" >/dev/null \
            || fail "LMTP delivery to be1 failed; see $STATE/logs/be1.log"
    fi
    if ((${#recipients_be2[@]} > 0)); then
        python3 "$SCRIPT_DIR/lmtp-deliver.py" --host "${BACKEND_ADDRESSES[1]}" \
            --label "be2 (${BACKEND_ADDRESSES[1]})" "${recipients_be2[@]}" >/dev/null \
            || fail "LMTP delivery to be2 failed; see $STATE/logs/be2.log"
    fi
    log "delivered a welcome message to $seeded INBOX(es) over LMTP."
}

verify_backends() {
    local i
    for i in "${!BACKEND_IDS[@]}"; do
        python3 "$SCRIPT_DIR/imap-check.py" --require-message "${BACKEND_ADDRESSES[$i]}" \
            "$PROBE_USER" "$PROBE_PASSWORD" >/dev/null \
            || fail "IMAP check of ${BACKEND_IDS[$i]} failed; see $STATE/logs/${BACKEND_IDS[$i]}.log"
    done
    log "IMAP LOGIN and FETCH work on be1 and be2 (checked as $PROBE_USER)."
}

start_backends() {
    write_users_file
    local i
    for i in "${!BACKEND_IDS[@]}"; do
        write_backend_config "${BACKEND_IDS[$i]}" "${BACKEND_ADDRESSES[$i]}"
    done
    check_backend_file_access
    for i in "${!BACKEND_IDS[@]}"; do
        start_backend "${BACKEND_IDS[$i]}" "${BACKEND_ADDRESSES[$i]}"
    done
    seed_mailboxes
    verify_backends
}

# --- Roundcube instances --------------------------------------------------------------

# Quotes a string as a PHP single-quoted literal.
php_quote() {
    local value=${1//\\/\\\\}
    printf "'%s'" "${value//\'/\\\'}"
}

# Builds STATE/roundcube/ID/root, a private Roundcube install root made of symlinks into
# Debian's /usr/share/roundcube, plus a plugins/ folder that adds "mailpin".
#
# Debian's /var/lib/roundcube/public_html/index.php sets INSTALL_PATH to the parent of its
# own folder after resolving symlinks, and Roundcube then finds program/, plugins/ and
# skins/ below INSTALL_PATH. A symlink to that index.php would therefore still point
# INSTALL_PATH at /var/lib/roundcube, so the private public_html gets its own index.php.
build_roundcube_root() {
    local id=$1
    local root=$STATE/roundcube/$id/root
    rm -rf -- "$root"
    mkdir -p "$root/plugins" "$root/public_html/program"
    ln -s "$ROUNDCUBE_SHARE/index.php" "$root/index.php"
    ln -s "$ROUNDCUBE_SHARE/program" "$root/program"
    ln -s "$ROUNDCUBE_SHARE/SQL" "$root/SQL"
    ln -s "$ROUNDCUBE_SHARE/skins" "$root/skins"
    ln -s ../config "$root/config"

    local plugin
    for plugin in "$ROUNDCUBE_SHARE"/plugins/*/; do
        plugin=${plugin%/}
        ln -s "$plugin" "$root/plugins/$(basename "$plugin")"
    done
    # A dangling link is fine while the plugin is still being written; Roundcube
    # then logs "Failed to load plugin file" in errors.log.
    ln -sfn "$PLUGIN_DIR" "$root/plugins/mailpin"

    cat >"$root/public_html/index.php" <<'EOF'
<?php
// Entry point of a private Roundcube install root, written by examples/seed-topology/start.sh.
// INSTALL_PATH is the folder above this one; Roundcube finds program/, plugins/ and skins/ there.
define('INSTALL_PATH', dirname(__DIR__) . '/');
require INSTALL_PATH . 'index.php';
EOF
    ln -s ../plugins "$root/public_html/plugins"
    ln -s ../skins "$root/public_html/skins"
    ln -s ../../program/js "$root/public_html/program/js"
    ln -s ../../program/resources "$root/public_html/program/resources"
}

# Prints the SQLite database file for an instance: one per instance in shape
# separate, one for both in shape shared.
roundcube_database() {
    if [[ "$SHAPE" == shared ]]; then
        echo "$STATE/roundcube/shared.db"
    else
        echo "$STATE/roundcube/$1.db"
    fi
}

roundcube_des_key_file() {
    if [[ "$SHAPE" == shared ]]; then
        echo "$STATE/roundcube/shared.des_key"
    else
        echo "$STATE/roundcube/$1.des_key"
    fi
}

# Creates Roundcube's tables from its SQL/sqlite.initial.sql unless the database has
# them; Roundcube 1.6 itself only does that from its installer.
initialize_roundcube_database() {
    local database=$1
    local tables
    tables=$(sqlite3 "$database" "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='system';")
    if [[ "$tables" == 1 ]]; then
        return
    fi
    sqlite3 -bail "$database" <"$ROUNDCUBE_SHARE/SQL/sqlite.initial.sql" \
        || fail "failed to create Roundcube's tables in $database"
    chmod 0600 "$database"
    log "created Roundcube database $database"
}

write_roundcube_config() {
    local id=$1 backend_address=$2
    local config_dir=$STATE/roundcube/$id/config
    local database des_key
    database=$(roundcube_database "$id")
    des_key=$(cat "$(roundcube_des_key_file "$id")")
    mkdir -p "$config_dir" "$STATE/roundcube/$id/temp" "$STATE/logs/$id"
    # Roundcube reads defaults.inc.php from the same folder as config.inc.php.
    ln -sfn "$ROUNDCUBE_DEFAULTS" "$config_dir/defaults.inc.php"
    if [[ -f /etc/roundcube/mimetypes.php ]]; then
        ln -sfn /etc/roundcube/mimetypes.php "$config_dir/mimetypes.php"
    fi

    (
        umask 077
        cat >"$config_dir/config.inc.php" <<EOF
<?php
// Roundcube configuration of the Mailpin demo instance $id (shape $SHAPE).
// Written by examples/seed-topology/start.sh on every start; edits are overwritten.
\$config = [];
\$config['db_dsnw'] = $(php_quote "sqlite:///$database?mode=0600");
\$config['des_key'] = $(php_quote "$des_key");

// The mailpin plugin replaces this constant host with the backend that the gateway
// names in each request, so the mail_host stored per user never changes.
\$config['imap_host'] = 'mailpin';
\$config['mailpin_mail_host'] = 'mailpin';
\$config['mailpin_secret_file'] = $(php_quote "$STATE/secret");
// The backends' submission service relays to an address where nothing listens in the demo.
\$config['smtp_host'] = $(php_quote "$backend_address:587");
\$config['plugins'] = ['mailpin'];

// The gateway publishes Roundcube under /mail/ and strips that prefix before forwarding.
\$config['request_path'] = '/mail/';
\$config['session_path'] = '/mail/';
// The gateway connects from 127.0.0.1; Roundcube takes the client address from its
// X-Forwarded-For header only when the request comes from a listed proxy.
\$config['proxy_whitelist'] = ['127.0.0.1'];

\$config['log_driver'] = 'file';
\$config['log_dir'] = $(php_quote "$STATE/logs/$id/");
\$config['log_logins'] = true;
\$config['temp_dir'] = $(php_quote "$STATE/roundcube/$id/temp/");
\$config['enable_installer'] = false;
\$config['product_name'] = 'Mailpin demo';
\$config['support_url'] = '';
\$config['skin'] = 'elastic';
EOF
    )
    php -l "$config_dir/config.inc.php" >/dev/null || fail "generated $config_dir/config.inc.php is not valid PHP"
}

start_roundcube() {
    local id=$1 address=$2 port=$3 pid
    local root=$STATE/roundcube/$id/root
    # PHP_CLI_SERVER_WORKERS makes "php -S" serve requests in several processes, so
    # one slow request (an IMAP round trip) does not block the other browser requests.
    # setsid gives the server and its workers one process group that stop.sh signals.
    ROUNDCUBE_CONFIG_DIR=$STATE/roundcube/$id/config PHP_CLI_SERVER_WORKERS=4 \
        setsid php \
        -d log_errors=1 -d display_errors=0 \
        -d upload_max_filesize=25M -d post_max_size=35M \
        -S "$address:$port" -t "$root/public_html" \
        </dev/null >>"$STATE/logs/$id-php.log" 2>&1 &
    pid=$!
    record_pid "$STATE" "$pid" "$id" group
    if ! wait_for_tcp "$address" "$port" 15; then
        fail "Roundcube $id did not accept connections on $address:$port within 15 s; see $STATE/logs/$id-php.log"
    fi
    log "started Roundcube $id on http://$address:$port/ (PID $pid)"
}

# Fetches the instance's start page and checks that it is Roundcube's login form.
verify_roundcube() {
    local id=$1 address=$2 port=$3 page
    page=$(curl -sS --max-time 15 "http://$address:$port/") \
        || fail "GET http://$address:$port/ failed; see $STATE/logs/$id-php.log and $STATE/logs/$id/errors.log"
    if [[ "$page" != *'name="_user"'* ]]; then
        fail "GET http://$address:$port/ did not return Roundcube's login page; see $STATE/logs/$id/errors.log"
    fi
    if grep -qs 'Failed to load plugin file.*mailpin' "$STATE/logs/$id/errors.log"; then
        warn "Roundcube $id cannot load the mailpin plugin from $PLUGIN_DIR; logins will not be routed."
    fi
}

start_roundcubes() {
    if [[ ! -f "$PLUGIN_DIR/mailpin.php" ]]; then
        warn "$PLUGIN_DIR/mailpin.php does not exist; Roundcube starts without the mailpin plugin."
    fi
    local i
    for i in "${!WEBMAIL_IDS[@]}"; do
        build_roundcube_root "${WEBMAIL_IDS[$i]}"
        write_roundcube_config "${WEBMAIL_IDS[$i]}" "${BACKEND_ADDRESSES[$i]}"
        initialize_roundcube_database "$(roundcube_database "${WEBMAIL_IDS[$i]}")"
    done
    for i in "${!WEBMAIL_IDS[@]}"; do
        start_roundcube "${WEBMAIL_IDS[$i]}" "${WEBMAIL_ADDRESSES[$i]}" "${WEBMAIL_PORTS[$i]}"
    done
    for i in "${!WEBMAIL_IDS[@]}"; do
        verify_roundcube "${WEBMAIL_IDS[$i]}" "${WEBMAIL_ADDRESSES[$i]}" "${WEBMAIL_PORTS[$i]}"
    done
    log "both Roundcube instances return their login page."
}

# --- Gateway --------------------------------------------------------------------------

write_gateway_config() {
    local shared_sessions=false
    [[ "$SHAPE" == shared ]] && shared_sessions=true
    cat >"$STATE/gateway.yaml" <<EOF
# Mailpin gateway configuration for the demo (shape $SHAPE).
# Written by examples/seed-topology/start.sh on every start; edits are overwritten.
node: gw1
director:
  user-expire: 60m
  username:
    lowercase: true
    default-domain: $DOMAIN
backends:
  - id: ${BACKEND_IDS[0]}
    address: ${BACKEND_ADDRESSES[0]}
    vhosts: 100
    imap-port: 143
    pop3-port: 110
    lmtp-port: 24
    sieve-port: 4190
    webmail: ${WEBMAIL_IDS[0]}
  - id: ${BACKEND_IDS[1]}
    address: ${BACKEND_ADDRESSES[1]}
    vhosts: 100
    imap-port: 143
    pop3-port: 110
    lmtp-port: 24
    sieve-port: 4190
    webmail: ${WEBMAIL_IDS[1]}
web:
  listen: $GATEWAY_LISTEN
  prefix: /mail/
  public-hosts: ["$GATEWAY_LISTEN", "localhost:${GATEWAY_LISTEN##*:}"]
  secret-file: $STATE/secret
  shared-sessions: $shared_sessions
  max-body-size: 35MB
  roundcube:
    - id: ${WEBMAIL_IDS[0]}
      url: http://${WEBMAIL_ADDRESSES[0]}:${WEBMAIL_PORTS[0]}/
    - id: ${WEBMAIL_IDS[1]}
      url: http://${WEBMAIL_ADDRESSES[1]}:${WEBMAIL_PORTS[1]}/
admin:
  listen: $ADMIN_LISTEN
  token-file: $STATE/admin-token
mail:
  listeners:
    - protocol: imap
      listen: $MAIL_HOST:1143
    - protocol: pop3
      listen: $MAIL_HOST:1110
    - protocol: lmtp
      listen: $MAIL_HOST:1024
    - protocol: sieve
      listen: $MAIL_HOST:14190
    - protocol: submission
      listen: $MAIL_HOST:1587
EOF
}

# Prints the home of a JDK whose major version is at least 21: JAVA_HOME if it
# qualifies, else the newest one under /usr/lib/jvm.
find_jdk() {
    local candidate version best="" best_version=0
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
        [[ -n "$candidate" && -x "$candidate/bin/javac" && -f "$candidate/release" ]] || continue
        version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$candidate/release")
        [[ "$version" =~ ^[0-9]+$ ]] || continue
        if [[ "$candidate" == "${JAVA_HOME:-}" && "$version" -ge 21 ]]; then
            echo "$candidate"
            return 0
        fi
        if ((version >= 21 && version > best_version)); then
            best=$candidate
            best_version=$version
        fi
    done
    [[ -n "$best" ]] || return 1
    echo "$best"
}

# Prints the first source file that is newer than the jar FILE, or nothing. Sources are the
# pom.xml files and everything below the src/ folder of each Maven module.
newer_source() {
    local jar=$1
    find "$REPO/pom.xml" "$REPO"/*/pom.xml "$REPO"/*/src -newer "$jar" -type f -print -quit 2>/dev/null
}

# Builds the gateway with Maven when its jar is missing or older than a source file, so the
# demo never runs an old build after a code update. bin/mailpin runs $MAILPIN_JAR, by default
# gateway/target/mailpin.jar. A jar named by MAILPIN_JAR is used as it is.
build_gateway_if_needed() {
    local jar=$REPO/gateway/target/mailpin.jar newer reason
    if [[ -n "${MAILPIN_JAR:-}" ]]; then
        [[ -f "$MAILPIN_JAR" ]] || fail "MAILPIN_JAR names $MAILPIN_JAR, which does not exist"
        log "using MAILPIN_JAR=$MAILPIN_JAR as it is, without comparing it with the sources"
        return
    fi
    if [[ -f "$jar" ]]; then
        newer=$(newer_source "$jar")
        [[ -n "$newer" ]] || return 0
        if ! command -v mvn >/dev/null; then
            warn "${newer#"$REPO"/} is newer than $jar, but mvn is not installed; the demo runs the old build"
            return
        fi
        reason="${newer#"$REPO"/} is newer than $jar; rebuilding it"
    else
        command -v mvn >/dev/null || fail "$jar does not exist and mvn is not installed to build it"
        reason="$jar does not exist; building it"
    fi
    log "$reason with mvn -q -DskipTests package (log: $STATE/logs/build.log)"
    if ! (cd "$REPO" && mvn -q -DskipTests package) >"$STATE/logs/build.log" 2>&1; then
        tail -n 20 "$STATE/logs/build.log" >&2
        fail "mvn -DskipTests package failed; see $STATE/logs/build.log"
    fi
    [[ -f "$jar" ]] || fail "mvn -DskipTests package succeeded but did not produce $jar"
    newer=$(newer_source "$jar")
    [[ -z "$newer" ]] || warn "${newer#"$REPO"/} is still newer than $jar after the build; was it changed during the build?"
}

start_gateway() {
    local jdk pid status deadline
    jdk=$(find_jdk) || fail "no JDK 21 or newer found; set JAVA_HOME (e.g. /usr/lib/jvm/temurin-25-jdk-amd64)"
    export JAVA_HOME=$jdk
    export PATH=$JAVA_HOME/bin:$PATH
    [[ -x "$REPO/bin/mailpin" ]] || fail "$REPO/bin/mailpin not found or not executable"
    build_gateway_if_needed
    write_gateway_config

    setsid "$REPO/bin/mailpin" serve --config "$STATE/gateway.yaml" </dev/null >>"$STATE/gateway.log" 2>&1 &
    pid=$!
    record_pid "$STATE" "$pid" gateway group

    deadline=$((SECONDS + GATEWAY_START_SECONDS))
    while true; do
        # Any HTTP status counts: a listener is up once it sends a response. The admin listener
        # starts last, so waiting for it too means the whole node is ready (it returns 401 without
        # a token).
        status=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$GATEWAY_URL" || true)
        admin_status=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "http://$ADMIN_LISTEN/api/v1/status" || true)
        if [[ "$status" =~ ^[1-5][0-9][0-9]$ && "$admin_status" =~ ^[1-5][0-9][0-9]$ ]]; then
            break
        fi
        if ! is_alive "$pid"; then
            tail -n 20 "$STATE/gateway.log" >&2
            fail "the gateway exited during startup; see $STATE/gateway.log"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 20 "$STATE/gateway.log" >&2
            fail "the gateway did not answer $GATEWAY_URL within $GATEWAY_START_SECONDS s; see $STATE/gateway.log"
        fi
        sleep 0.5
    done
    log "started the gateway on $GATEWAY_URL (PID $pid, HTTP $status on /mail/, JAVA_HOME=$JAVA_HOME)"
}

# --- Summary --------------------------------------------------------------------------

print_summary() {
    local i
    echo
    echo "Mailpin demo is running (shape $SHAPE, state $STATE)."
    echo
    if $START_GATEWAY; then
        echo "  Webmail:    $GATEWAY_URL"
        echo "  Admin API:  http://$ADMIN_LISTEN/api/v1/  (bearer token in $STATE/admin-token)"
        echo "  Mail:       $MAIL_HOST IMAP 1143, POP3 1110, LMTP 1024, ManageSieve 14190, Submission 1587"
    else
        echo "  Gateway:    not started (--no-gateway); configure yours with secret $STATE/secret"
    fi

    echo "  Roundcube:  rc1 http://${WEBMAIL_ADDRESSES[0]}:${WEBMAIL_PORTS[0]}/  rc2 http://${WEBMAIL_ADDRESSES[1]}:${WEBMAIL_PORTS[1]}/ (reach them through the gateway)"
    echo "  Backends:   be1 ${BACKEND_ADDRESSES[0]}  be2 ${BACKEND_ADDRESSES[1]}  (IMAP 143, POP3 110, LMTP 24, ManageSieve 4190, Submission 587)"

    echo
    echo "  Users and passwords (user01@$DOMAIN / secret01 ... $(user_name "$USER_COUNT") / $(user_password "$USER_COUNT")):"
    for ((i = 1; i <= USER_COUNT; i++)); do
        printf '    %-24s %-10s' "$(user_name "$i")" "$(user_password "$i")"
        if ((i % 3 == 0 || i == USER_COUNT)); then
            echo
        fi
    done

    echo
    echo "  Logs:"
    echo "    $STATE/logs/be1.log, be2.log      Dovecot (logins name the backend: real_lip=..., backend=be1)"
    echo "    $STATE/logs/rc1/, rc2/            Roundcube errors.log and userlogins.log"
    echo "    $STATE/logs/rc1-php.log, rc2-php.log  php -S requests and PHP errors"
    if $START_GATEWAY; then
        echo "    $STATE/gateway.log                gateway"
    fi
    echo
    echo "  Stop:  $SCRIPT_DIR/stop.sh --state $STATE"
}

# Stops whatever this run started when it fails half-way.
stop_after_failure() {
    local status=$?
    if ((status != 0)) && [[ -s "$STATE/pids" ]]; then
        warn "startup failed; stopping the processes this run started."
        "$SCRIPT_DIR/stop.sh" --state "$STATE" >&2 || true
    fi
}

main() {
    parse_arguments "$@"
    require_root
    ensure_packages
    check_state_folder
    check_addresses_are_free
    check_mail_uid
    prepare_state_folder
    trap stop_after_failure EXIT

    write_secrets
    start_backends
    start_roundcubes
    if $START_GATEWAY; then
        start_gateway
    else
        rm -f "$STATE/gateway.yaml"
    fi
    trap - EXIT
    print_summary
}

main "$@"
