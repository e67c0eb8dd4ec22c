from boost_platform.migrations import run_env
from connectors_service.models import metadata

run_env(metadata)
