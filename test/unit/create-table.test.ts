import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addClausesSql, splitCreateTable } from '../../pipeline/dump/create-table.js';

const CHILD = `CREATE TABLE \`child\` (
  \`id\` bigint(20) NOT NULL AUTO_INCREMENT,
  \`parent_id\` int(11) NOT NULL,
  \`note\` varchar(20) DEFAULT 'a,b (c)' COMMENT 'KEY \`x\` (y), CONSTRAINT',
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uq\` (\`note\`,\`parent_id\`),
  KEY \`child_parent\` (\`parent_id\`),
  KEY \`by_note\` (\`note\`(10)) USING BTREE COMMENT 'why, (not)',
  FULLTEXT KEY \`ft\` (\`note\`),
  CONSTRAINT \`fk_parent\` FOREIGN KEY (\`parent_id\`) REFERENCES \`parent\` (\`id\`) ON DELETE CASCADE,
  CONSTRAINT \`chk\` CHECK (\`parent_id\` > 0)
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;

test('secondary keys and foreign keys are deferred; primary, unique, fulltext and checks stay', () => {
  const s = splitCreateTable(CHILD);
  assert.equal(
    s.create,
    `CREATE TABLE \`child\` (
  \`id\` bigint(20) NOT NULL AUTO_INCREMENT,
  \`parent_id\` int(11) NOT NULL,
  \`note\` varchar(20) DEFAULT 'a,b (c)' COMMENT 'KEY \`x\` (y), CONSTRAINT',
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`uq\` (\`note\`,\`parent_id\`),
  FULLTEXT KEY \`ft\` (\`note\`),
  CONSTRAINT \`chk\` CHECK (\`parent_id\` > 0)
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`,
  );
  assert.deepEqual(
    s.keys.map((k) => [k.name, k.text]),
    [
      ['child_parent', 'KEY `child_parent` (`parent_id`)'],
      ['by_note', "KEY `by_note` (`note`(10)) USING BTREE COMMENT 'why, (not)'"],
    ],
  );
  assert.deepEqual(
    s.foreignKeys.map((k) => k.name),
    ['fk_parent'],
  );
  assert.equal(
    addClausesSql('`child`', s.keys),
    "ALTER TABLE `child` ADD KEY `child_parent` (`parent_id`), ADD KEY `by_note` (`note`(10)) USING BTREE COMMENT 'why, (not)'",
  );
  assert.equal(addClausesSql('`child`', []), undefined);
});

test('the last element removed: the text before the closing parenthesis is kept', () => {
  const s = splitCreateTable('CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`),\n  KEY `k` (`a`)\n) ENGINE=InnoDB');
  assert.equal(s.create, 'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  PRIMARY KEY (`a`)\n) ENGINE=InnoDB');
});

test('a key that an AUTO_INCREMENT column needs stays', () => {
  const sql = 'CREATE TABLE `t` (\n  `k` int NOT NULL,\n  `id` int NOT NULL AUTO_INCREMENT,\n  PRIMARY KEY (`k`,`id`),\n  KEY `id` (`id`),\n  KEY `id2` (`id`,`k`)\n) ENGINE=InnoDB';
  const s = splitCreateTable(sql);
  assert.match(s.create, /KEY `id` \(`id`\)/);
  assert.deepEqual(s.keys.map((k) => k.name), ['id2']);
});

test('non-InnoDB, CREATE ... LIKE/SELECT and unbalanced text come back whole', () => {
  for (const sql of [
    'CREATE TABLE `m` (\n  `a` int,\n  KEY `a` (`a`)\n) ENGINE=MyISAM',
    'CREATE TABLE `m` LIKE `n`',
    'CREATE TABLE `m` (\n  `a` int,\n  KEY `a` (`a`)\n) ENGINE=InnoDB AS SELECT 1 AS a',
    'CREATE TABLE `m` (\n  `a` int,\n  KEY `a` (`a`',
    'CREATE TABLE `m` (\n  `a` int,\n  KEY `a` (`a`)\n)',
  ]) {
    const s = splitCreateTable(sql);
    assert.equal(s.create, sql);
    assert.equal(s.keys.length + s.foreignKeys.length, 0);
  }
});

test('latin1-decoded bytes pass through unchanged', () => {
  const bytes = Buffer.from("CREATE TABLE `t` (\n  `a` int COMMENT 'Grüße 😀',\n  `b` int,\n  PRIMARY KEY (`a`),\n  KEY `b` (`b`)\n) ENGINE=InnoDB COMMENT='ü'", 'utf8');
  const s = splitCreateTable(bytes.toString('latin1'));
  const back = Buffer.from(s.create, 'latin1').toString('utf8');
  assert.equal(back, "CREATE TABLE `t` (\n  `a` int COMMENT 'Grüße 😀',\n  `b` int,\n  PRIMARY KEY (`a`)\n) ENGINE=InnoDB COMMENT='ü'");
});

test('unnamed foreign keys and CONSTRAINT ... UNIQUE are recognised', () => {
  const s = splitCreateTable(
    'CREATE TABLE `t` (\n  `a` int NOT NULL,\n  `b` int,\n  PRIMARY KEY (`a`),\n  CONSTRAINT `u` UNIQUE (`b`),\n  FOREIGN KEY (`b`) REFERENCES `p` (`id`)\n) ENGINE=InnoDB',
  );
  assert.match(s.create, /CONSTRAINT `u` UNIQUE/);
  assert.deepEqual(s.foreignKeys.map((f) => [f.name, f.text]), [[undefined, 'FOREIGN KEY (`b`) REFERENCES `p` (`id`)']]);
});
