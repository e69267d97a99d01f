package check

import (
	"strings"
	"testing"

	"github.com/ferrydev/ferry/render"
)

const base = "@chart/values.yaml:"

func TestSharedDatabase(t *testing.T) {
	pg := func(name string, pairs ...string) *Env {
		return envOf(name, append([]string{"DB_DIALECT=postgres" + base + "30"}, pairs...)...)
	}
	testRule(t, "FERRY010", []ruleCase{
		{
			name: "both inherit the base host, port and name",
			in:   inputOf(pg("staging", "DB_HOST=localhost"+base+"31", "DB_PORT=5432"+base+"32", "DB_NAME=orders"+base+"33"), pg("prod", "DB_HOST=localhost"+base+"31", "DB_PORT=5432"+base+"32", "DB_NAME=orders"+base+"33")),
			want: []string{"error prod,staging DB_HOST"},
		},
		{
			name: "host case and trailing dot, DB_PORT unset on one side and 3306 on the other",
			in:   inputOf(pg("dr", "DB_HOST=DB.Internal.", "DB_NAME=o"), pg("prod", "DB_HOST=db.internal", "DB_PORT=3306", "DB_NAME=o")),
			want: []string{"error dr,prod DB_HOST"},
		},
		{
			name: "same server, other database name",
			in:   inputOf(pg("staging", "DB_HOST=db", "DB_PORT=5432", "DB_NAME=orders_staging"), pg("prod", "DB_HOST=db", "DB_PORT=5432", "DB_NAME=orders_prod")),
			want: []string{"warning prod,staging DB_HOST"},
		},
		{
			name: "near miss: same host on another port",
			in:   inputOf(pg("staging", "DB_HOST=db", "DB_PORT=5433", "DB_NAME=o"), pg("prod", "DB_HOST=db", "DB_PORT=5432", "DB_NAME=o")),
		},
		{
			name: "near miss: sqlite files are per pod",
			in:   inputOf(envOf("staging", "DB_DIALECT=sqlite", "DB_NAME=o"), envOf("prod", "DB_DIALECT=sqlite", "DB_NAME=o")),
		},
		{
			name: "near miss: a host known only at run time",
			in:   inputOf(pg("staging", "DB_HOST=@ext", "DB_NAME=o"), pg("prod", "DB_HOST=@ext", "DB_NAME=o")),
		},
		{
			name: "supabase's 3306 rewrite meets an explicit 5432",
			in:   inputOf(envOf("a", "DB_DIALECT=supabase", "SUPABASE_PROJECT_REF=abc", "DB_NAME=x"), envOf("b", "DB_DIALECT=postgres", "DB_HOST=db.abc.supabase.co", "DB_PORT=5432", "DB_NAME=x")),
			want: []string{"error a,b DB_HOST"},
		},
	})
}

func TestSharedDatabaseNamesEverySource(t *testing.T) {
	in := inputOf(
		envOf("staging", "DB_DIALECT=mysql", "DB_HOST=db"+base+"12", "DB_NAME=o@values-staging.yaml:3"),
		envOf("prod", "DB_DIALECT=mysql", "DB_HOST=db"+base+"12", "DB_NAME=o@values-prod.yaml:4"),
	)
	fs := findings(t, "FERRY010", in)
	if len(fs) != 1 {
		t.Fatalf("FERRY010 = %d findings, want 1", len(fs))
	}
	f := fs[0]
	if f.File != "chart/values.yaml" || f.Line != 12 {
		t.Errorf("FERRY010 primary location = %s:%d, want chart/values.yaml:12", f.File, f.Line)
	}
	var srcs []string
	for _, l := range f.Locations {
		srcs = append(srcs, l.Environment+" "+l.Key+" "+l.Source)
	}
	want := "staging DB_HOST chart/values.yaml:12|staging DB_PORT GoFr default|staging DB_NAME values-staging.yaml:3|prod DB_HOST chart/values.yaml:12|prod DB_PORT GoFr default|prod DB_NAME values-prod.yaml:4"
	if got := strings.Join(srcs, "|"); got != want {
		t.Errorf("FERRY010 locations = %s, want %s", got, want)
	}
}

func TestSharedRedis(t *testing.T) {
	testRule(t, "FERRY011", []ruleCase{
		{
			name: "same host, port and db by default",
			in:   inputOf(envOf("uat", "REDIS_HOST=cache.prod"), envOf("prod", "REDIS_HOST=Cache.Prod.", "REDIS_PORT=6379", "REDIS_DB=0")),
			want: []string{"error prod,uat REDIS_HOST"},
		},
		{
			name: "near miss: shared host with different REDIS_DB",
			in:   inputOf(envOf("uat", "REDIS_HOST=cache", "REDIS_DB=1"), envOf("prod", "REDIS_HOST=cache")),
		},
		{
			name: "near miss: no Redis",
			in:   inputOf(envOf("uat"), envOf("prod")),
		},
	})
}

func TestSharedBroker(t *testing.T) {
	testRule(t, "FERRY012", []ruleCase{
		{
			name: "same Kafka brokers in another order",
			in:   inputOf(envOf("staging", "PUBSUB_BACKEND=kafka", "PUBSUB_BROKER=k1:9092,k2:9092"), envOf("prod", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k2:9092, k1:9092")),
			want: []string{"error prod,staging PUBSUB_BROKER"},
		},
		{
			name: "MQTT both on the default public broker",
			in:   inputOf(envOf("staging", "PUBSUB_BACKEND=MQTT"), envOf("prod", "PUBSUB_BACKEND=MQTT")),
			want: []string{"error prod,staging MQTT_HOST"},
		},
		{
			name: "near miss: same brokers, distinct topic prefix",
			in: inputOf(envOf("staging", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k1:9092", "ORDERS_TOPIC=staging.orders"),
				envOf("prod", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k1:9092", "ORDERS_TOPIC=prod.orders")),
		},
		{
			name: "near miss: different brokers",
			in:   inputOf(envOf("staging", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k1:9092"), envOf("prod", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k9:9092")),
		},
		{
			name: "one RabbitMQ, one virtual host",
			in: inputOf(envOf("test", "SPRING_RABBITMQ_HOST=shared-rmq.mq.svc.cluster.local", "SPRING_RABBITMQ_VIRTUAL_HOST=/app"),
				envOf("prod", "SPRING_RABBITMQ_HOST=shared-rmq.mq.svc.cluster.local", "SPRING_RABBITMQ_VIRTUAL_HOST=/app")),
			want: []string{"error prod,test SPRING_RABBITMQ_HOST"},
		},
		{
			name: "near miss: one RabbitMQ, a virtual host per environment",
			in: inputOf(envOf("test", "SPRING_RABBITMQ_HOST=shared-rmq.mq.svc.cluster.local", "SPRING_RABBITMQ_VIRTUAL_HOST=/app-test"),
				envOf("prod", "SPRING_RABBITMQ_HOST=shared-rmq.mq.svc.cluster.local", "SPRING_RABBITMQ_VIRTUAL_HOST=/app-prod")),
		},
	})
}

func TestSharedBucket(t *testing.T) {
	testRule(t, "FERRY013", []ruleCase{
		{
			name: "same bucket",
			in:   inputOf(envOf("staging", "S3_BUCKET=orders"), envOf("prod", "S3_BUCKET=orders")),
			want: []string{"error prod,staging S3_BUCKET"},
		},
		{
			name: "near miss: per-environment buckets",
			in:   inputOf(envOf("staging", "S3_BUCKET=orders-staging"), envOf("prod", "S3_BUCKET=orders-prod")),
		},
	})
}

func TestDBPortDefault(t *testing.T) {
	testRule(t, "FERRY015", []ruleCase{
		{
			name: "postgres without DB_PORT",
			in:   inputOf(envOf("prod", "DB_DIALECT=postgres", "DB_HOST=db")),
			want: []string{"warning prod DB_PORT"},
		},
		{
			name: "cockroachdb with an empty DB_PORT",
			in:   inputOf(envOf("prod", "DB_DIALECT=cockroachdb", "DB_HOST=db", "DB_PORT=")),
			want: []string{"warning prod DB_PORT"},
		},
		{
			name: "near miss: postgres with DB_PORT",
			in:   inputOf(envOf("prod", "DB_DIALECT=postgres", "DB_HOST=db", "DB_PORT=5432")),
		},
		{
			name: "near miss: mysql relies on 3306 rightly",
			in:   inputOf(envOf("prod", "DB_DIALECT=mysql", "DB_HOST=db")),
		},
	})
}

func TestMQTTPublicBroker(t *testing.T) {
	testRule(t, "FERRY016", []ruleCase{
		{
			name: "MQTT without host",
			in:   inputOf(envOf("prod", "PUBSUB_BACKEND=mqtt")),
			want: []string{"error prod MQTT_HOST"},
		},
		{
			name: "near miss: MQTT with host",
			in:   inputOf(envOf("prod", "PUBSUB_BACKEND=MQTT", "MQTT_HOST=mqtt.internal")),
		},
	})
}

func TestMissingDatasourceKey(t *testing.T) {
	testRule(t, "FERRY017", []ruleCase{
		{
			name: "DB_HOST without DB_DIALECT",
			in:   inputOf(envOf("prod", "DB_HOST=db")),
			want: []string{"warning prod DB_DIALECT"},
		},
		{
			name: "Kafka without brokers",
			in:   inputOf(envOf("prod", "PUBSUB_BACKEND=KAFKA")),
			want: []string{"warning prod PUBSUB_BROKER"},
		},
		{
			name: "Google without project and subscription",
			in:   inputOf(envOf("prod", "PUBSUB_BACKEND=GOOGLE")),
			want: []string{"warning prod GOOGLE_PROJECT_ID", "warning prod GOOGLE_SUBSCRIPTION_NAME"},
		},
		{
			name: "near miss: complete SQL and Kafka, no subscriber in the code",
			in:   inputOf(envOf("prod", "DB_HOST=db", "DB_DIALECT=mysql", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k:9092")),
		},
	})
}

func TestMissingConsumerID(t *testing.T) {
	in := inputOf(envOf("prod", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k:9092"))
	in.srcOnce.Do(func() { in.src = &goSource{subscribes: true} })
	fs := findings(t, "FERRY017", in)
	if len(fs) != 1 || fs[0].Key != "CONSUMER_ID" {
		t.Errorf("FERRY017 with a subscriber and no CONSUMER_ID = %+v, want one CONSUMER_ID finding", fs)
	}
	in = inputOf(envOf("prod", "PUBSUB_BACKEND=KAFKA", "PUBSUB_BROKER=k:9092", "CONSUMER_ID=orders"))
	in.srcOnce.Do(func() { in.src = &goSource{subscribes: true} })
	if fs := findings(t, "FERRY017", in); len(fs) != 0 {
		t.Errorf("FERRY017 with CONSUMER_ID = %+v, want none", fs)
	}
}

func TestConnectionBudget(t *testing.T) {
	pg := func(name string, replicas int, pairs ...string) *Env {
		e := envOf(name, append([]string{"DB_DIALECT=postgres", "DB_PORT=5432"}, pairs...)...)
		return withWorkload(e, render.Workload{Replicas: replicas})
	}
	testRule(t, "FERRY070", []ruleCase{
		{
			name: "10 replicas × 20 connections",
			in:   inputOf(pg("prod", 10, "DB_HOST=db.prod", "DB_MAX_OPEN_CONNECTION=20")),
			want: []string{"warning prod DB_MAX_OPEN_CONNECTION"},
		},
		{
			name: "unlimited connections",
			in:   inputOf(pg("prod", 2, "DB_HOST=db.prod")),
			want: []string{"warning prod DB_MAX_OPEN_CONNECTION"},
		},
		{
			name: "two environments on one server add up",
			in:   inputOf(pg("staging", 4, "DB_HOST=db", "DB_NAME=s", "DB_MAX_OPEN_CONNECTION=15"), pg("prod", 5, "DB_HOST=db", "DB_NAME=p", "DB_MAX_OPEN_CONNECTION=10")),
			want: []string{"warning prod,staging DB_MAX_OPEN_CONNECTION"},
		},
		{
			name: "near miss: 10 replicas × 8 connections",
			in:   inputOf(pg("prod", 10, "DB_HOST=db.prod", "DB_MAX_OPEN_CONNECTION=8")),
		},
		{
			name: "near miss: separate servers each within budget",
			in:   inputOf(pg("staging", 4, "DB_HOST=db.staging", "DB_MAX_OPEN_CONNECTION=15"), pg("prod", 5, "DB_HOST=db.prod", "DB_MAX_OPEN_CONNECTION=15")),
		},
	})
}
