from boost_platform.serve import run

if __name__ == "__main__":
    run("connectors", "connectors_service.main:create_app")
