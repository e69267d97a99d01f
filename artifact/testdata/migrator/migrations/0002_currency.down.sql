ALTER TABLE accounts DROP COLUMN currency;
