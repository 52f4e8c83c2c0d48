#!/usr/bin/env bash
# dev.sh: the functions of tools/dev that decide what a dev guichetd is
# told (an automake test: 0 pass, 1 fail, 99 hard error).
#  - `tools/dev up --port N`: the server listens on N and its public URL,
#    the issuer of its tokens and the base of the links it mails, is
#    http://127.0.0.1:N (issue 8: it stayed at 8080), unless the operator
#    set GUICHET_PUBLIC_URL;
#  - a port that is not one is refused;
#  - clamd, for `tools/dev up` and the tests, listens on a socket of its
#    directory with the given signatures, in the foreground (tools/dev
#    detaches it), and stays root only when tools/dev runs as root; a dev
#    guichetd is pointed at it.
#  - the dev guichetd's mail goes to the local catcher, without STARTTLS,
#    unless the operator named a relay (GUICHET_SMTP_URL).
srcdir=${GUICHET_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=/dev/null
. "$srcdir/tools/dev" || exit 99
set +e
fails=0
check() {
	if [ "$2" != "$3" ]; then
		echo "dev.sh: FAIL: $1: '$2', expected '$3'"
		fails=$((fails + 1))
	fi
}

CONNINFO=dbname=x JWT_KEY_FILE=/nonexistent
unset GUICHET_PUBLIC_URL GUICHET_PORT
guichet_env 8181
check "the port" "$GUICHET_PORT" 8181
check "the public URL follows the port" "$GUICHET_PUBLIC_URL" \
    "http://127.0.0.1:8181"

GUICHET_PUBLIC_URL=https://guichet.example.org
guichet_env 8282
check "the port" "$GUICHET_PORT" 8282
check "an operator's public URL stays" "$GUICHET_PUBLIC_URL" \
    "https://guichet.example.org"

unset GUICHET_PUBLIC_URL GUICHET_PORT
guichet_env
check "no port, no public URL of ours" "${GUICHET_PUBLIC_URL:-unset}" unset

for bad in abc 0 65536 -1 ''; do
	( parse_port "$bad" ) >/dev/null 2>&1
	check "parse_port '$bad' refused" "$?" 1
done
check "parse_port 8080" "$(parse_port 8080)" 8080

conf=$(clamd_conf /x/clamav /x/clamav/db)
line() { printf '%s\n' "$conf" | grep -c "^$1\$"; }
check "clamd's socket" "$(line 'LocalSocket /x/clamav/clamd.sock')" 1
check "clamd's signatures" "$(line 'DatabaseDirectory /x/clamav/db')" 1
check "clamd in the foreground" "$(line 'Foreground yes')" 1
if is_root; then
	check "clamd stays root as root" "$(line 'User root')" 1
else
	check "clamd does not ask for root" "$(line 'User root')" 0
fi
unset GUICHET_CLAMD_SOCKET
CLAMD_SOCKET=/x/clamav/clamd.sock
guichet_env
check "guichetd scans with the dev clamd" "$GUICHET_CLAMD_SOCKET" \
    /x/clamav/clamd.sock
unset CLAMD_SOCKET GUICHET_CLAMD_SOCKET
unset GUICHET_SMTP_URL GUICHET_SMTP_STARTTLS GUICHET_MAIL_FROM
mail_env 2626
check "the dev relay is the catcher" "$GUICHET_SMTP_URL" smtp://127.0.0.1:2626
check "no STARTTLS with the catcher" "$GUICHET_SMTP_STARTTLS" no
check "a sender address" "$GUICHET_MAIL_FROM" guichet@demo.guichet.test
GUICHET_SMTP_URL=smtps://relay.example.org
unset GUICHET_SMTP_STARTTLS
mail_env 2626
check "an operator's relay stays" "$GUICHET_SMTP_URL" smtps://relay.example.org
check "and its TLS setting" "${GUICHET_SMTP_STARTTLS:-unset}" unset
case $(catcher_cmd) in
*"-m aiosmtpd "*"-c mailcatch.Catcher"*) ;;
*) check "the catcher's command" "$(catcher_cmd)" "aiosmtpd with mailcatch" ;;
esac

[ "$fails" -eq 0 ] || exit 1
echo "dev.sh: ok"
exit 0
