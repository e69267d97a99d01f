package handler

import "gofr.dev/pkg/gofr"

// Item reads one stock item.
func Item(c *gofr.Context) (any, error) {
	var qty int
	err := c.SQL.QueryRowContext(c, "SELECT qty FROM items WHERE id = ?", c.PathParam("id")).Scan(&qty)
	return qty, err
}
