# make install's output, checked into a DESTDIR.
HOST_TESTS += tests/host/install.t
