-- The statistics and the yearly report read a scheme's cases in chunks by id
-- (statistics::queries::for_each_history): each chunk is a range of this index, whatever the
-- other schemes hold, instead of a walk of the primary key or a sort per chunk.
CREATE INDEX cases_scheme_id ON cases (scheme_id, id);
