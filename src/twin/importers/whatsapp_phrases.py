"""The words WhatsApp writes into exports itself, in the languages we know.

Kept apart from the parser so that adding a language is a data change. Everything here is
matched against the first line of a message body after iOS's U+200E marks are removed.
"""

from __future__ import annotations

import re

from twin.records import Kind

MEDIA_PLACEHOLDERS = (
    "<Media omitted>",
    "<Medien ausgeschlossen>",
    "<Multimedia omitido>",
    "<Multimedia omitidos>",
    "<Médias omis>",
    "<Fichier omis>",
    "<Mídia oculta>",
    "<Arquivo de mídia oculto>",
    "<Media weggelaten>",
    "<Media omessi>",
    "<Media omesso>",
    "<Без медиафайлов>",
    "<Medya dahil edilmedi>",
    "<Media tidak disertakan>",
    "<Pominięto multimedia>",
    "<Media utelämnad>",
    "null",
)
"""Android's whole-line placeholder for a file left out of an export without media."""

MEDIA_SUFFIXES = (
    # iOS, "Report.pdf • 3 pages document omitted" included.
    "image omitted",
    "video omitted",
    "audio omitted",
    "sticker omitted",
    "GIF omitted",
    "document omitted",
    "Contact card omitted",
    "Bild weggelassen",
    "Video weggelassen",
    "Audio weggelassen",
    "Sticker weggelassen",
    "Dokument weggelassen",
    "imagen omitida",
    "video omitido",
    "audio omitido",
    "sticker omitido",
    "documento omitido",
    "image absente",
    "vidéo absente",
    "audio omis",
    "imagem ocultada",
    "vídeo ocultado",
    "áudio ocultado",
    "immagine omessa",
    "video omesso",
    "afbeelding weggelaten",
    # Android with media: "IMG-20230101-WA0001.jpg (file attached)".
    "(file attached)",
    "(Datei angehängt)",
    "(archivo adjunto)",
    "(fichier joint)",
    "(arquivo anexado)",
    "(file allegato)",
    "(bestand bijgevoegd)",
)

MEDIA_PREFIXES = ("<attached: ", "<angehängt: ", "<adjunto: ", "<pièce jointe : ", "<anexo: ")
"""iOS with media: ``<attached: 00000012-PHOTO-2023-01-01-10-00-00.jpg>``."""

DELETED = (
    "This message was deleted",
    "You deleted this message",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht",
    "Se eliminó este mensaje",
    "Eliminaste este mensaje",
    "Este mensaje fue eliminado",
    "Ce message a été supprimé",
    "Vous avez supprimé ce message",
    "Mensagem apagada",
    "Esta mensagem foi apagada",
    "Você apagou esta mensagem",
    "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio",
    "Dit bericht is verwijderd",
    "Je hebt dit bericht verwijderd",
)

EDITED_MARKERS = (
    "<This message was edited>",
    "<Diese Nachricht wurde bearbeitet>",
    "<Se editó este mensaje.>",
    "<Ce message a été modifié>",
    "<Esta mensagem foi editada>",
    "<Mensagem editada>",
    "<Questo messaggio è stato modificato>",
    "<Dit bericht is bewerkt>",
)
"""Appended to the text of an edited message; removed from the text we keep."""

CALL_RE = re.compile(
    r"(?:Missed (?:group )?(?:voice|video) call|(?:Group )?(?:[Vv]oice|[Vv]ideo) call"
    r"|Verpasster (?:Sprach|Video)anruf|(?:Sprach|Video)anruf"
    r"|Llamada (?:de voz |de video )?perdida|Videollamada perdida|Llamada de (?:voz|video)"
    r"|Appel (?:vocal|vidéo) manqué|Appel (?:vocal|vidéo)"
    r"|Chamada de (?:voz|vídeo) perdida|Chamada de (?:voz|vídeo)"
    r"|Chiamata vocale persa|Videochiamata persa|Chiamata vocale|Videochiamata"
    r"|Gemiste (?:spraak|video-)oproep|(?:Spraak|Video-)oproep)"
    r"(?:, .{0,60})?"
)
"""A call line, full match; iOS adds ", Tap to call back" or ", 12 min"."""

CALL_STARTS = (
    "Missed", "Group", "Voice", "voice", "Video", "video", "Verpasster", "Sprach", "Llamada",
    "Videollamada", "Appel", "Chamada", "Chiamata", "Videochiamata", "Gemiste", "Spraak",
)  # fmt: skip

ENCRYPTION_NOTICES = (
    "calls are end-to-end encrypted",
    "are now secured with end-to-end encryption",
    "sind Ende-zu-Ende-verschlüsselt",
    "están cifrados de extremo a extremo",
    "sont chiffrés de bout en bout",
    "protegidas com a criptografia de ponta a ponta",
    "são protegidas com criptografia de ponta a ponta",
    "sono crittografati end-to-end",
    "zijn end-to-end versleuteld",
    "защищены сквозным шифрованием",
    "uçtan uca şifrelidir",
    "terenkripsi secara end-to-end",
    "są szyfrowane end-to-end",
    "är end-to-end-krypterade",
    "захищені наскрізним шифруванням",
    "端到端加密",
    "エンドツーエンド暗号化",
    "종단간 암호화",
    "एंड-टू-एंड एन्क्रिप्टेड",
    "مشفرة تمامًا",
)
"""WhatsApp's encryption notice, which newer exports credit to the chat or the contact."""

MEDIA_WORDS = (
    "media", "medien", "multimedia", "médias", "mídia", "medya", "медиа", "multimídia", "файл",
)  # fmt: skip
"""Words that, in a short whole line in angle brackets, say a file was left out."""

SYSTEM_PHRASES = (
    # Encryption notices.
    "end-to-end encrypted",
    "now secured with end-to-end encryption",
    "Ende-zu-Ende-verschlüsselt",
    "cifrados de extremo a extremo",
    "chiffrés de bout en bout",
    "criptografia de ponta a ponta",
    "crittografati end-to-end",
    "end-to-end versleuteld",
    # Security codes and phone numbers.
    "security code with",
    "changed their phone number",
    "changed to +",
    "Sicherheitsnummer",
    "Telefonnummer geändert",
    "código de seguridad con",
    "cambió su número",
    "code de sécurité avec",
    "a changé de numéro",
    "código de segurança com",
    "mudou seu número",
    "codice di sicurezza con",
    "ha cambiato numero",
    "beveiligingscode met",
    "telefoonnummer gewijzigd",
)
"""System notices that happen in any chat, one-to-one or group."""

GROUP_PHRASES = (
    'created group "',
    "created group “",
    "created this group",
    "joined using this group's invite link",
    "changed the subject",
    "changed the group description",
    "changed the group name",
    "changed this group's",
    "deleted this group's icon",
    "hat die Gruppe",
    "Einladungslink dieser Gruppe",
    "hat den Betreff",
    "hat den Gruppennamen",
    "hat die Gruppenbeschreibung",
    "hat das Gruppenbild",
    "creó el grupo",
    "enlace de invitación de este grupo",
    "cambió el asunto",
    "cambió el nombre del grupo",
    "cambió la descripción del grupo",
    "cambió la imagen de este grupo",
    "a créé le groupe",
    "lien d'invitation de ce groupe",
    "a changé le sujet",
    "la description du groupe",
    "a changé l'icône de ce groupe",
    "criou o grupo",
    "link de convite deste grupo",
    "mudou o assunto",
    "mudou o nome do grupo",
    "mudou a descrição do grupo",
    "mudou a imagem deste grupo",
    "ha creato il gruppo",
    "link d'invito di questo gruppo",
    "ha cambiato l'oggetto",
    "ha cambiato la descrizione del gruppo",
    "ha cambiato l'immagine di questo gruppo",
    "heeft groep",
    "uitnodigingslink van deze groep",
    "heeft het onderwerp",
    "heeft de groepsbeschrijving",
    "heeft het groepspictogram",
)
"""System notices that only happen in groups."""

GROUP_EVENT_RE = re.compile(
    r"\S.* (?:added|removed) \S|You were (?:added|removed)|\S.* left\Z"
    r"|\S.* hat .+ (?:hinzugefügt|entfernt)\Z|Du wurdest (?:hinzugefügt|entfernt)"
    r"|.+ hat die Gruppe verlassen\Z"
    r"|\S.* (?:añadió|eliminó) a \S|Se te (?:añadió|eliminó)|.+ salió(?: del grupo)?\Z"
    r"|\S.* a (?:ajouté|retiré) \S|Vous avez été (?:ajouté|retiré)|.+ (?:est parti|a quitté)"
    r"|\S.* (?:adicionou|removeu) \S|Você foi (?:adicionad|removid)|.+ saiu\Z"
    r"|\S.* ha (?:aggiunto|rimosso) \S|Sei stat[oa] (?:aggiunt|rimoss)|.+ è uscit[oa]\Z"
    r"|\S.* heeft .+ (?:toegevoegd|verwijderd)\Z|Je bent (?:toegevoegd|verwijderd)"
    r"|.+ (?:heeft de groep verlaten|is vertrokken)\Z"
)
"""Membership changes, matched from the start of a line WhatsApp marked as its own."""


def is_encryption_notice(text: str) -> bool:
    """Whether a line is WhatsApp's end-to-end encryption notice, in a language we know."""
    return any(phrase in text for phrase in ENCRYPTION_NOTICES)


def is_media_placeholder(folded: str) -> bool:
    """Whether a casefolded whole line is a short ``<…>`` naming left-out media."""
    return (
        folded.startswith("<")
        and folded.endswith(">")
        and len(folded) <= 40
        and any(word in folded for word in MEDIA_WORDS)
    )


def is_group_event(text: str) -> bool:
    """Whether a system line is one that only groups have."""
    return any(phrase in text for phrase in GROUP_PHRASES) or bool(GROUP_EVENT_RE.match(text))


def is_system(text: str) -> bool:
    """Whether a line WhatsApp marked as its own is a system notice."""
    return any(phrase in text for phrase in SYSTEM_PHRASES) or is_group_event(text)


def exact_kinds() -> dict[str, Kind]:
    """Whole first lines that fix a message's kind, with and without a final full stop."""
    table: dict[str, Kind] = {}
    for text in MEDIA_PLACEHOLDERS:
        table[text] = Kind.MEDIA
    for text in DELETED:
        table[text] = table[text + "."] = Kind.DELETED
    for text in ("Waiting for this message. This may take a while.", "POLL:"):
        table[text] = Kind.OTHER
    return table
