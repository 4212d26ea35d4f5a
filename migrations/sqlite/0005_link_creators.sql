-- Who created each link: a member may change and delete only the links they created
-- (owners and admins, every link of their organization). Links made before this column
-- existed have no creator: only owners and admins may change those.
ALTER TABLE links ADD COLUMN created_by BIGINT REFERENCES users (id);
