-- A migration that sleeps inside its transaction, so a fault lands while it is open.
create table fault_probe (id int primary key);
insert into fault_probe select generate_series(1, 100);
select pg_sleep(3);
drop table if exists cohorts_archive;
