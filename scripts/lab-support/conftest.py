"""What the lab-support tests share: a moto_server of their own, on a free loopback port, per module."""

import pytest
from moto.server import ThreadedMotoServer


@pytest.fixture(scope="module")
def moto():
    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield "http://%s:%d" % (host, port)
    server.stop()
