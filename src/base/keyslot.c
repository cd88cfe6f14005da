/* keyslot.c - see keyslot.h.  CRC16 variant: XMODEM (poly 0x1021, init 0,
 * no reflection), as the cluster specification states; check value for
 * "123456789" is 0x31C3. */
#include "base/keyslot.h"

uint16_t keyslot_crc16(const char *buf, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)((uint8_t)buf[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

int keyslot_of(const char *key, size_t len)
{
	size_t open, close;

	for (open = 0; open < len && key[open] != '{'; open++)
		;
	if (open < len) {
		for (close = open + 1; close < len && key[close] != '}'; close++)
			;
		if (close < len && close > open + 1) {
			key += open + 1;
			len = close - open - 1;
		}
	}
	return keyslot_crc16(key, len) & (CLUSTER_SLOTS - 1);
}
