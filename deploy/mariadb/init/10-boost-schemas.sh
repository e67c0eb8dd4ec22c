#!/bin/bash
# One schema and one user per Boost service (ARCHITECTURE.md §1: a service owns its
# database and never reads another's). The official MariaDB image runs it once, on an
# empty data directory (docker-compose.yml mounts this folder at
# /docker-entrypoint-initdb.d). The file is not executable, so the image's entrypoint
# sources it and its docker_process_sql helper reaches the temporary server; that is also
# why nothing here changes shell options and every name starts with boost_.
#
# Passwords come from the container's environment; compose puts the same variables into
# each service's BOOST_<SERVICE>_DATABASE_URL: OKR_DB_PASSWORD, FEEDBACK_DB_PASSWORD,
# SCHEDULER_DB_PASSWORD, NOTIFIER_DB_PASSWORD, CONNECTORS_DB_PASSWORD. Keep them URL-safe (letters, digits,
# - _ .; e.g. `openssl rand -hex 24`): they are embedded in a URL.
#
# realtime keeps nothing durable and has no database. The script runs only on first start:
# on an existing data directory, run the same statements by hand (docs/operations.md).

boost_sql_literal() {
    # A SQL string literal: backslashes and single quotes escaped.
    local v="${1//\\/\\\\}"
    printf "'%s'" "${v//\'/\'\'}"
}

boost_init_schemas() {
    local service var password literal sql=""
    for service in okr feedback scheduler notifier connectors; do
        var="${service^^}_DB_PASSWORD"
        password="${!var:-}"
        if [ -z "$password" ]; then
            echo "boost init: $var is not set; refusing to create boost_$service without a password" >&2
            return 1
        fi
        literal="$(boost_sql_literal "$password")"
        sql+="CREATE DATABASE IF NOT EXISTS \`boost_$service\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'boost_$service'@'%' IDENTIFIED BY $literal;
ALTER USER 'boost_$service'@'%' IDENTIFIED BY $literal;
GRANT ALL PRIVILEGES ON \`boost_$service\`.* TO 'boost_$service'@'%';
"
    done
    sql+="FLUSH PRIVILEGES;"
    if declare -F docker_process_sql >/dev/null; then
        docker_process_sql <<<"$sql" || return 1
    else
        # Run by hand, not by the image's entrypoint: the local server's socket, as root.
        mariadb --protocol=socket -uroot ${MARIADB_ROOT_PASSWORD:+"-p$MARIADB_ROOT_PASSWORD"} <<<"$sql" || return 1
    fi
    echo "boost init: schemas and users ready for okr, feedback, scheduler, notifier"
}

boost_init_schemas || exit 1
