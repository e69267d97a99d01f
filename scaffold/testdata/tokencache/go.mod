module github.com/coinlab/tokencache

go 1.21

require (
	github.com/sirupsen/logrus v1.9.3
	github.com/spf13/pflag v1.0.5
)
