DROP TABLE job_keys;
