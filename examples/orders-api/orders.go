package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ferrydev/ferry/kit"
	"github.com/ferrydev/ferry/kit/migrate"
	"github.com/ferrydev/ferry/kit/sqldb"
)

// Order is what the API stores and returns.
type Order struct {
	ID        int64     `json:"id"`
	Item      string    `json:"item"`
	Quantity  int       `json:"quantity"`
	CreatedAt time.Time `json:"createdAt"`
}

// migrations create the schema. Version numbers are GoFr's: the runner
// records them in gofr_migrations.
func migrations(dialect sqldb.Config) map[int64]migrate.Migration {
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if dialect.Postgres() {
		id = "BIGSERIAL PRIMARY KEY"
	}
	return map[int64]migrate.Migration{
		20260101000000: {UP: func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE orders (
	id `+id+`,
	item VARCHAR(200) NOT NULL,
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	created_at TIMESTAMP NOT NULL
)`)
			return err
		}},
	}
}

func setup(app *kit.App) error {
	db := app.SQL()
	if db == nil {
		return errors.New("orders-api: DB_DIALECT is unset: orders are stored in SQL (sqlite or postgres)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := app.Migrate(ctx, migrations(db.Config())); err != nil {
		return fmt.Errorf("orders-api: %w", err)
	}
	s := &store{db: db, log: app.Logger()}
	app.HandleFunc("POST /orders", s.create)
	app.HandleFunc("GET /orders", s.list)
	app.HandleFunc("GET /orders/{id}", s.get)

	// ORDERS_DEBUG_ROUTES=true adds GET /debug/sleep?d=2s, a request that
	// takes as long as asked. It exists to watch graceful shutdown drain a
	// request in flight; it is off unless that key is set, and no chart
	// environment sets it.
	debug, err := app.Config().Bool("ORDERS_DEBUG_ROUTES", false)
	if err != nil {
		return fmt.Errorf("%w: %w", kit.ErrConfig, err)
	}
	if debug {
		app.HandleFunc("GET /debug/sleep", sleep)
	}
	return nil
}

type store struct {
	db  *sqldb.DB
	log *slog.Logger
}

const maxBody = 1 << 16

func (s *store) create(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		kit.WriteError(w, http.StatusBadRequest, "invalid body: "+err.Error())
		return
	}
	switch {
	case in.Item == "":
		kit.WriteError(w, http.StatusBadRequest, "parameter item is required")
		return
	case len(in.Item) > 200:
		kit.WriteError(w, http.StatusBadRequest, "parameter item is longer than 200 characters")
		return
	case in.Quantity <= 0:
		kit.WriteError(w, http.StatusBadRequest, "parameter quantity must be a positive integer")
		return
	}
	o := Order{Item: in.Item, Quantity: in.Quantity, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	err := s.db.QueryRowContext(r.Context(),
		s.db.Rebind("INSERT INTO orders (item, quantity, created_at) VALUES (?, ?, ?) RETURNING id"),
		o.Item, o.Quantity, o.CreatedAt).Scan(&o.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, o)
}

func (s *store) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		kit.WriteError(w, http.StatusBadRequest, fmt.Sprintf("parameter id %q is not an integer", r.PathValue("id")))
		return
	}
	var o Order
	err = s.db.QueryRowContext(r.Context(),
		s.db.Rebind("SELECT id, item, quantity, created_at FROM orders WHERE id = ?"), id).
		Scan(&o.ID, &o.Item, &o.Quantity, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		kit.WriteError(w, http.StatusNotFound, fmt.Sprintf("No entity found with id: %d", id))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, o)
}

func (s *store) list(w http.ResponseWriter, r *http.Request) {
	rows, err := s.db.QueryContext(r.Context(), "SELECT id, item, quantity, created_at FROM orders ORDER BY id LIMIT 1000")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer rows.Close()
	orders := []Order{}
	for rows.Next() {
		var o Order
		if err := rows.Scan(&o.ID, &o.Item, &o.Quantity, &o.CreatedAt); err != nil {
			s.fail(w, r, err)
			return
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, orders)
}

// fail answers 500 without the database's words, which can name tables
// and hosts; the log has them.
func (s *store) fail(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "orders: "+err.Error())
	kit.WriteError(w, http.StatusInternalServerError, "some unexpected error has occurred")
}

func sleep(w http.ResponseWriter, r *http.Request) {
	d, err := time.ParseDuration(r.URL.Query().Get("d"))
	if err != nil || d < 0 || d > time.Minute {
		kit.WriteError(w, http.StatusBadRequest, "parameter d must be a duration up to 1m, such as 2s")
		return
	}
	time.Sleep(d)
	kit.WriteJSON(w, http.StatusOK, map[string]string{"slept": d.String()})
}
