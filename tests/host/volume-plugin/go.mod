module docker-host/tests/host/volume-plugin

go 1.22
