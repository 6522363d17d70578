import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLASSIFY_HEAD_BYTES, classifyStatement, type StatementKind } from '../../pipeline/dump/statement-kind.js';

function classify(sql: string | Buffer): StatementKind {
  return classifyStatement(typeof sql === 'string' ? Buffer.from(sql) : sql);
}

describe('classifyStatement', () => {
  const cases: [string, StatementKind][] = [
    ['CREATE TABLE `patchwork_patch` (\n  `id` int NOT NULL\n)', { kind: 'create-table', table: 'patchwork_patch' }],
    ['create table if not exists t (id int)', { kind: 'create-table', table: 't' }],
    ['CREATE OR REPLACE TEMPORARY TABLE `a``b` (x int)', { kind: 'create-table', table: 'a`b' }],
    ['CREATE TABLE `db`.`t` (x int)', { kind: 'create-table', table: 't', database: 'db' }],
    ['CREATE TABLE db.t2 (x int)', { kind: 'create-table', table: 't2', database: 'db' }],
    ['CREATE TABLE "ansi" (x int)', { kind: 'create-table', table: 'ansi' }],
    ['/*!50001 CREATE TABLE `v_stand_in` (\n `id` tinyint NOT NULL) ENGINE=MyISAM */', { kind: 'create-table', table: 'v_stand_in' }],
    ["INSERT INTO `t` VALUES (1,'a'),(2,'b')", { kind: 'insert', table: 't' }],
    ['INSERT IGNORE INTO `s`.`t` (`a`) VALUES (1)', { kind: 'insert', table: 't', database: 's' }],
    ['insert low_priority t values (1)', { kind: 'insert', table: 't' }],
    ['REPLACE INTO `t` VALUES (1)', { kind: 'insert', table: 't' }],
    ['DROP TABLE IF EXISTS `item`', { kind: 'drop-table', table: 'item' }],
    ['DROP TEMPORARY TABLE x', { kind: 'drop-table', table: 'x' }],
    ['/*!50001 DROP VIEW IF EXISTS `v_item`*/', { kind: 'drop-view', table: 'v_item' }],
    ['DROP DATABASE IF EXISTS `shop`', { kind: 'other' }],
    ['LOCK TABLES `item` WRITE', { kind: 'lock', table: 'item' }],
    ['UNLOCK TABLES', { kind: 'unlock' }],
    ['/*!40000 ALTER TABLE `item` DISABLE KEYS */', { kind: 'alter-table', table: 'item' }],
    ['ALTER TABLE `s`.`t` ADD KEY (a)', { kind: 'alter-table', table: 't', database: 's' }],
    ['ALTER DATABASE `shop` CHARACTER SET utf8mb4', { kind: 'other' }],
    ['/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */', { kind: 'set' }],
    ['SET NAMES utf8mb4', { kind: 'set' }],
    ['USE `shop`', { kind: 'use', database: 'shop' }],
    ['CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET latin1 */', { kind: 'create-database', database: 'shop' }],
    ['CREATE SCHEMA s2', { kind: 'create-database', database: 's2' }],
    [
      '/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v_item` AS select `item`.`id` AS `id` from `item` */',
      { kind: 'create-view', table: 'v_item' },
    ],
    ['/*!50001 CREATE VIEW `v` AS SELECT\n 1 AS `id` */', { kind: 'create-view', table: 'v' }],
    ['CREATE OR REPLACE DEFINER=`u`@`%` SQL SECURITY INVOKER VIEW db.v AS SELECT 1', { kind: 'create-view', table: 'v', database: 'db' }],
    [
      "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 trigger item_bi before insert on item for each row begin\n  set NEW.name = CONCAT(NEW.name, ';');\nend \n*/",
      { kind: 'create-trigger', table: 'item', name: 'item_bi' },
    ],
    ['CREATE DEFINER=`a`@`b` TRIGGER `s`.`tr` AFTER UPDATE ON `s`.`t` FOR EACH ROW SET @x=1', { kind: 'create-trigger', table: 't', database: 's', name: 'tr' }],
    ["CREATE DEFINER=`root`@`localhost` PROCEDURE `p`(IN a INT)\nBEGIN\n SELECT ';';\nEND", { kind: 'create-routine', name: 'p' }],
    ["CREATE DEFINER='root'@'localhost' FUNCTION `f`() RETURNS int RETURN 1", { kind: 'create-routine', name: 'f' }],
    ['CREATE AGGREGATE FUNCTION g() RETURNS int BEGIN RETURN 1; END', { kind: 'create-routine', name: 'g' }],
    ['/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `ev` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */', { kind: 'create-event', name: 'ev' }],
    ['SELECT 1', { kind: 'other' }],
    ['/* just a comment */ -- and another\n# and one more', { kind: 'comment-only' }],
    ['', { kind: 'comment-only' }],
  ];
  for (const [sql, expected] of cases) {
    test(`${sql.replace(/\s+/g, ' ').slice(0, 70)} → ${expected.kind}`, () => {
      assert.deepEqual(classify(sql), expected);
    });
  }

  test('the MariaDB sandbox line and dump comments before a statement are skipped', () => {
    assert.deepEqual(
      classify('/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n--\n/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */'),
      { kind: 'set' },
    );
  });

  test('names may be non-ASCII (UTF-8)', () => {
    assert.deepEqual(classify('INSERT INTO `täble_ü` VALUES (1)'), { kind: 'insert', table: 'täble_ü' });
    assert.deepEqual(classify('INSERT INTO tābula VALUES (1)'), { kind: 'insert', table: 'tābula' });
  });

  test('reads only the first bytes: a huge INSERT is classified without decoding it', () => {
    const head = Buffer.from('INSERT INTO `big` VALUES ');
    const huge = Buffer.alloc(64 * 1024 * 1024, 0x41);
    head.copy(huge);
    const t0 = performance.now();
    assert.deepEqual(classifyStatement(huge), { kind: 'insert', table: 'big' });
    assert.ok(performance.now() - t0 < 50, 'classification should not scale with statement size');
    // A name past the head is not seen: that is the contract, not an accident.
    const late = Buffer.from(`CREATE /*${' '.repeat(CLASSIFY_HEAD_BYTES)}*/ TABLE t (x int)`);
    assert.deepEqual(classifyStatement(late), { kind: 'other' });
  });

  test('binary bytes in the head do not break classification', () => {
    const sql = Buffer.concat([Buffer.from("INSERT INTO `t` VALUES ('"), Buffer.from([0, 0xff, 0x27, 0x27, 0x5c, 0x27]), Buffer.from("')")]);
    assert.deepEqual(classifyStatement(sql), { kind: 'insert', table: 't' });
  });
});
