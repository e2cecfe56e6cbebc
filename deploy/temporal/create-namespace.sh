#!/bin/sh
# One-shot job (docker-compose.yml, service temporal-namespace): waits until the cluster reports
# healthy, then registers the engine's namespace unless it exists. The engine starts after it.
set -eu

tries=0
until temporal operator cluster health --address "${TEMPORAL_ADDRESS}"; do
  tries=$((tries + 1))
  [ "$tries" -ge 60 ] && { echo 'Temporal did not become healthy' >&2; exit 1; }
  sleep 2
done
temporal operator namespace describe -n "${NAMESPACE}" --address "${TEMPORAL_ADDRESS}" >/dev/null 2>&1 ||
  temporal operator namespace create -n "${NAMESPACE}" --retention 7d --address "${TEMPORAL_ADDRESS}"
echo "namespace ${NAMESPACE} ready"
