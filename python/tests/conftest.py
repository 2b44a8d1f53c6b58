import pytest

import evplast as nest


@pytest.fixture(autouse=True)
def reset():
    nest.ResetKernel()
    yield
    nest.ResetKernel()
