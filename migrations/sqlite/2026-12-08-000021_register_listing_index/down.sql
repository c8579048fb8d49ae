DROP INDEX published_rulings_listing;
