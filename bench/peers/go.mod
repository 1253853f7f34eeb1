// Pins the peer the Go module proxy serves, for the benches' side-by-side runs: bench/peers.sh
// builds github.com/nats-io/prometheus-nats-exporter from this module with -mod=readonly, so
// go.sum is the checksum of every module it is made of. nats-surveyor is not here: the proxy
// refuses every version of github.com/nats-io/nats-surveyor (HTTP 403, checked 2026-12-05).
// To move: go get -tool github.com/nats-io/prometheus-nats-exporter@vX.Y.Z; go mod tidy.

module farrier.bench/peers

go 1.26.0

tool github.com/nats-io/prometheus-nats-exporter

require (
	github.com/antithesishq/antithesis-sdk-go v0.7.0 // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/klauspost/compress v1.18.6 // indirect
	github.com/minio/highwayhash v1.0.4 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/nats-io/jwt/v2 v2.8.1 // indirect
	github.com/nats-io/nats-server/v2 v2.14.0 // indirect
	github.com/nats-io/nkeys v0.4.15 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	github.com/nats-io/prometheus-nats-exporter v0.20.1 // indirect
	github.com/prometheus/client_golang v1.23.2 // indirect
	github.com/prometheus/client_model v0.6.2 // indirect
	github.com/prometheus/common v0.67.5 // indirect
	github.com/prometheus/procfs v0.20.1 // indirect
	go.yaml.in/yaml/v2 v2.4.4 // indirect
	golang.org/x/crypto v0.51.0 // indirect
	golang.org/x/sys v0.44.0 // indirect
	golang.org/x/time v0.15.0 // indirect
	google.golang.org/protobuf v1.36.11 // indirect
)
