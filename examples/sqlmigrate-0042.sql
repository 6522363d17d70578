BEGIN;
--
-- Add field archived to patch
--
ALTER TABLE `patchwork_patch` ADD COLUMN `archived` bool DEFAULT false NOT NULL;
ALTER TABLE `patchwork_patch` ALTER COLUMN `archived` DROP DEFAULT;
--
-- Add field delegate to patch
--
ALTER TABLE `patchwork_patch` ADD COLUMN `delegate_id` integer NULL;
ALTER TABLE `patchwork_patch` ADD CONSTRAINT `patchwork_patch_delegate_id_fk_auth_user_id` FOREIGN KEY (`delegate_id`) REFERENCES `auth_user` (`id`);
CREATE INDEX `patchwork_patch_delegate_id_idx` ON `patchwork_patch` (`delegate_id`);
--
-- Raw SQL operation
--
UPDATE `patchwork_patch` SET `archived` = true WHERE `state_id` IN (SELECT `id` FROM `patchwork_state` WHERE `name` = 'Superseded');
--
-- Raw SQL operation
--
INSERT INTO `patchwork_patchtag` (`patch_id`, `tag_id`, `count`) SELECT `p`.`id`, 1, 1 FROM `patchwork_patch` `p` WHERE `p`.`content` LIKE '%Acked-by:%';
--
-- Raw SQL operation
--
DELETE FROM `patchwork_comment` WHERE `submitter_id` IS NULL;
--
-- Raw SQL operation
--
UPDATE `patchwork_patch` SET `delegate_id` = 1 ORDER BY `id` LIMIT 10;
COMMIT;
