import { REPLY_MARKER } from './templates.ts';

/** Lines that introduce quoted history, in the languages our customers write in most. */
const QUOTE_HEADERS = [
  /^On\b.{0,300}\bwrote:\s*$/i,
  /^Am\b.{0,300}\bschrieb\b.{0,300}:\s*$/i,
  /^Le\b.{0,300}\ba écrit\s*:\s*$/i,
  /^El\b.{0,300}\bescribió:\s*$/i,
  /^Op\b.{0,300}\bschreef\b.{0,300}:\s*$/i,
  /^-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}\s*$/i,
  /^-{2,}\s*Forwarded message\s*-{2,}\s*$/i,
  /^_{10,}\s*$/,
];
/** An Outlook-style header block: "From:" with "Sent:"/"Date:"/"To:"/"Subject:" right after. */
const HEADER_BLOCK_START = /^\*?(From|Von|De):\*?\s/i;
const HEADER_BLOCK_NEXT = /^\*?(Sent|Date|To|Subject|Gesendet|Datum|An|Betreff|Envoyé|À|Objet):\*?\s/i;
/** Signature delimiters and the signatures phones add. */
const SIGNATURE = [/^--\s?$/, /^Sent from my \w+/i, /^Get Outlook for \w+/i, /^Von meinem \w+ gesendet/i, /^Envoyé de mon \w+/i];

/**
 * The new part of a reply: our reply marker and everything below it, quoted history
 * ("On … wrote:", Outlook header blocks, `>` lines) and the signature are cut. If nothing
 * would be left (a forward with no text of its own), the whole text is kept instead:
 * better too much than a lost message.
 */
export function trimReply(input: string): string {
  const text = input.replace(/\r\n?/g, '\n');
  const lines = text.split('\n');
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (line.includes(REPLY_MARKER)) {
      end = i;
      break;
    }
    if (QUOTE_HEADERS.some((re) => re.test(line))) {
      end = i;
      break;
    }
    // Clients wrap long "On … wrote:" lines in two.
    if (/^(On|Am|Le|El|Op)\b/i.test(line) && QUOTE_HEADERS.slice(0, 5).some((re) => re.test(joined))) {
      end = i;
      break;
    }
    if (HEADER_BLOCK_START.test(line) && lines.slice(i + 1, i + 4).some((next) => HEADER_BLOCK_NEXT.test(next.trim()))) {
      end = i;
      break;
    }
    if (SIGNATURE.some((re) => re.test(lines[i]!))) {
      end = i;
      break;
    }
  }
  const kept = lines
    .slice(0, end)
    .filter((line) => !/^\s*>/.test(line))
    .join('\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return kept || text.trim();
}
