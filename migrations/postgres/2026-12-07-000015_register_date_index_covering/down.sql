DROP INDEX published_rulings_date;
CREATE INDEX published_rulings_date ON published_rulings (status, published_at, id);
