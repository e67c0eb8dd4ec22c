from boost_platform.serve import run

if __name__ == "__main__":
    run("scheduler", "scheduler_service.main:create_app")
