-- Migration 16: sealed event bodies. Shipped: never edit, add a new file.
-- An event whose delivered body holds a secret (user.invited: the invitation link with its
-- token) keeps that body only sealed by the key ring (`data_sealed`, associated data
-- "events:data_sealed:<id>"); `data` holds what the events API shows, the secret left out.
ALTER TABLE events ADD COLUMN data_sealed BLOB;
-- Invitation links stored in clear before this migration are removed (an invitation lives 72 h;
-- a delivery still pending for one goes out with invite_url null, and the merchant re-sends the
-- invitation).
UPDATE events SET data = json_set(data, '$.data.object.invite_url', json('null'))
 WHERE type = 'user.invited' AND json_valid(data)
   AND json_type(data, '$.data.object.invite_url') = 'text';
