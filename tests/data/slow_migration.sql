-- Creates a table, then sleeps when the session sets wizard.slow=on (via PGOPTIONS),
-- so a test can kill the wizard while this transaction is open.
create schema if not exists kill_test;
create table if not exists kill_test.probe (id int primary key);
select pg_sleep(case when current_setting('wizard.slow', true) = 'on' then 30 else 0 end);
