-- imagesite's database and its two accounts on MariaDB/MySQL (docs/production.md). Replace the two
-- passwords, then as the server's administrator: mariadb < deploy/mariadb/provision.sql
-- Tested by posts/tests/test_provisioning.py (under other names).

-- utf8mb4: titles, descriptions and code hold any Unicode, emoji and Hangul included.
CREATE DATABASE IF NOT EXISTS imagesite CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- For deploys (manage.py migrate): may change the tables, of this database only.
CREATE USER IF NOT EXISTS 'imagesite_migrate'@'127.0.0.1' IDENTIFIED BY 'change-me-migrate';
GRANT ALL PRIVILEGES ON imagesite.* TO 'imagesite_migrate'@'127.0.0.1';

-- For the web servers and the capture workers: rows only, so a compromised process cannot drop
-- or alter a table. Narrow '%' to the network your web and worker machines are on ('10.0.0.%').
CREATE USER IF NOT EXISTS 'imagesite'@'%' IDENTIFIED BY 'change-me';
GRANT SELECT, INSERT, UPDATE, DELETE ON imagesite.* TO 'imagesite'@'%';
