#!/bin/sh
# Renders Boost's gateway config (gateway/nginx.conf.template) when the gateway container
# starts: the nginx image's entrypoint runs every executable /docker-entrypoint.d/*.sh
# before `nginx`. tests/deploy runs this script too, then `nginx -t` on the result.
#
# Only the template's named placeholders are replaced (envsubst with an explicit list: the
# names scripts/boost.py fills in with string.Template). nginx's own variables ($host,
# $http_upgrade, ...) pass through untouched, which the image's stock
# /etc/nginx/templates mechanism would not guarantee.
#
# Knobs (environment), with defaults:
#   GATEWAY_LISTEN              8080                  port nginx listens on (non-root: > 1024)
#   GATEWAY_UPSTREAM_OKR        okr:8000              host:port list, space or comma separated;
#   GATEWAY_UPSTREAM_FEEDBACK   feedback:8000         the defaults are the compose service
#   GATEWAY_UPSTREAM_REALTIME   realtime:8000         names and the Kubernetes Service names
#   GATEWAY_UPSTREAM_SCHEDULER  scheduler:8000
#   GATEWAY_UPSTREAM_NOTIFIER   notifier:8000
#   GATEWAY_UPSTREAM_CONNECTORS connectors:8000
#   GATEWAY_REAL_IP_FROM        (unset)               CIDRs of trusted proxies (the ingress
#                                                     controller): client address from X-Forwarded-For
#   GATEWAY_RUN_DIR             /tmp/boost-nginx      pid, temp files, the rendered nginx.conf
#   GATEWAY_WEB_ROOT            /usr/share/boost/web  the built SPA
#   GATEWAY_TEMPLATE            /etc/nginx/boost/nginx.conf.template
#   GATEWAY_MIME_TYPES          /etc/nginx/mime.types
#   GATEWAY_ERROR_LOG           stderr                `stderr` or `file` (RUN_DIR/error.log)
set -eu
set -f  # upstream lists are split on purpose; never glob them

: "${GATEWAY_LISTEN:=8080}"
: "${GATEWAY_UPSTREAM_OKR:=okr:8000}"
: "${GATEWAY_UPSTREAM_FEEDBACK:=feedback:8000}"
: "${GATEWAY_UPSTREAM_REALTIME:=realtime:8000}"
: "${GATEWAY_UPSTREAM_SCHEDULER:=scheduler:8000}"
: "${GATEWAY_UPSTREAM_NOTIFIER:=notifier:8000}"
: "${GATEWAY_UPSTREAM_CONNECTORS:=connectors:8000}"
: "${GATEWAY_REAL_IP_FROM:=}"
: "${GATEWAY_RUN_DIR:=/tmp/boost-nginx}"
: "${GATEWAY_WEB_ROOT:=/usr/share/boost/web}"
: "${GATEWAY_TEMPLATE:=/etc/nginx/boost/nginx.conf.template}"
: "${GATEWAY_MIME_TYPES:=/etc/nginx/mime.types}"
: "${GATEWAY_ERROR_LOG:=stderr}"

# "a:1, b:2" -> "server a:1 max_fails=0; server b:2 max_fails=0;" (as scripts/boost.py renders)
servers() {
    out=""
    for server in $(printf '%s' "$2" | tr ',' ' '); do
        out="$out server $server max_fails=0;"
    done
    if [ -z "$out" ]; then
        echo "boost-gateway: GATEWAY_UPSTREAM_$1 is empty" >&2
        exit 1
    fi
    printf '%s' "${out# }"
}

mkdir -p "$GATEWAY_RUN_DIR"

# The template has no placeholder for http-level extras, so `include ${MIME_TYPES};` points
# at a small file of ours that includes mime.types and, behind a proxy, the real-IP rules
# (the sign-in rate limit is keyed on the client address). See docs/operations.md.
http_conf="$GATEWAY_RUN_DIR/http.conf"
{
    echo "include $GATEWAY_MIME_TYPES;"
    if [ -n "$GATEWAY_REAL_IP_FROM" ]; then
        for cidr in $(printf '%s' "$GATEWAY_REAL_IP_FROM" | tr ',' ' '); do
            echo "set_real_ip_from $cidr;"
        done
        echo "real_ip_header X-Forwarded-For;"
        echo "real_ip_recursive on;"
    fi
} > "$http_conf"

if [ "$GATEWAY_ERROR_LOG" = "stderr" ]; then
    ln -sf /dev/stderr "$GATEWAY_RUN_DIR/error.log"
fi

RUN_DIR="$GATEWAY_RUN_DIR"
USER_LINE=""  # the container runs nginx as a non-root user: no `user` directive
MIME_TYPES="$http_conf"
LISTEN="$GATEWAY_LISTEN"
WEB_ROOT="$GATEWAY_WEB_ROOT"
OKR_SERVERS="$(servers OKR "$GATEWAY_UPSTREAM_OKR")"
FEEDBACK_SERVERS="$(servers FEEDBACK "$GATEWAY_UPSTREAM_FEEDBACK")"
REALTIME_SERVERS="$(servers REALTIME "$GATEWAY_UPSTREAM_REALTIME")"
SCHEDULER_SERVERS="$(servers SCHEDULER "$GATEWAY_UPSTREAM_SCHEDULER")"
NOTIFIER_SERVERS="$(servers NOTIFIER "$GATEWAY_UPSTREAM_NOTIFIER")"
CONNECTORS_SERVERS="$(servers CONNECTORS "$GATEWAY_UPSTREAM_CONNECTORS")"
export RUN_DIR USER_LINE MIME_TYPES LISTEN WEB_ROOT \
    OKR_SERVERS FEEDBACK_SERVERS REALTIME_SERVERS SCHEDULER_SERVERS NOTIFIER_SERVERS CONNECTORS_SERVERS

# The explicit list: every placeholder of the template, nothing else.
PLACEHOLDERS='${RUN_DIR} ${USER_LINE} ${MIME_TYPES} ${LISTEN} ${WEB_ROOT} ${OKR_SERVERS} ${FEEDBACK_SERVERS} ${REALTIME_SERVERS} ${SCHEDULER_SERVERS} ${NOTIFIER_SERVERS} ${CONNECTORS_SERVERS}'

conf="$GATEWAY_RUN_DIR/nginx.conf"
envsubst "$PLACEHOLDERS" < "$GATEWAY_TEMPLATE" > "$conf.tmp"
# A placeholder added to the template but not here would reach nginx as a variable: refuse.
# (Comment lines are skipped: the template's header mentions `${NAME}` placeholders.)
left="$(grep -v '^[[:space:]]*#' "$conf.tmp" | grep -Eo '\$\{[A-Za-z_]+\}' | sort -u || true)"
if [ -n "$left" ]; then
    echo "boost-gateway: $GATEWAY_TEMPLATE has placeholders this script does not fill:" $left >&2
    rm -f "$conf.tmp"
    exit 1
fi
mv "$conf.tmp" "$conf"
echo "boost-gateway: rendered $conf (listen $GATEWAY_LISTEN)"
