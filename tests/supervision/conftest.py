from tests.scoring.conftest import clock  # noqa: F401
