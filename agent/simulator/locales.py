"""Every string the simulated client shows or puts in an aria-label, one table per locale.

Two pseudo-locales (en-XA, x-words) are generated from EN: no agent's table holds them.

The "log_out" labels are the real client's; the rest are natural translations. Ids, data-icon
names, data-ref, roles and URLs are never localised.
"""

from __future__ import annotations

import hashlib
import re

EN: dict[str, str] = {
    "app_name": "WhatsApp",
    "encrypted": "End-to-end encrypted",
    "loading": "Loading your chats",
    "qr_title": "Log in to WhatsApp Web",
    "qr_step_1": "Open WhatsApp on your phone",
    "qr_step_2": "Tap Menu or Settings and select Linked devices",
    "qr_step_3": "Tap Link a device",
    "qr_step_4": "Point your phone at this screen to scan the QR code",
    "qr_label": "Scan this QR code to link a device!",
    "stay_logged_in": "Stay logged in on this browser",
    "chats": "Chats",
    "chat_list": "Chat list",
    "search": "Search or start a new chat",
    "new_chat": "New chat",
    "menu": "Menu",
    "status": "Status",
    "channels": "Channels",
    "communities": "Communities",
    "meta_ai": "Meta AI",
    "settings": "Settings",
    "profile": "Profile",
    "new_group": "New group",
    "starred": "Starred messages",
    "select_chats": "Select chats",
    "account": "Account",
    "privacy": "Privacy",
    "notifications": "Notifications",
    "shortcuts": "Keyboard shortcuts",
    "help": "Help",
    "log_out": "Log out",
    "confirm_title": "Log out?",
    "confirm_body": "Are you sure you want to log out?",
    "confirm_still_sending": "Some of your messages are still sending.",
    "confirm_app_lock": "Instead of logging out, you can lock the app with a password, so nobody "
    "else can see your chats on this computer.",
    "lock_app": "Lock app",
    "cancel": "Cancel",
    "notify_title": "Get notified of new messages",
    "notify_action": "Turn on desktop notifications",
    "close": "Close",
    "whats_new_title": "What's new",
    "whats_new_body": "You can now pin up to three chats and react to messages with any emoji.",
    "ok": "OK",
    "offline_title": "Computer not connected",
    "offline_body": "Make sure your computer has an active Internet connection.",
    "another_session": 'WhatsApp is open in another window. Click "Use here" to use WhatsApp '
    "in this window.",
    "conflict": 'WhatsApp is open on another computer or browser. Click "Use here" to use '
    "WhatsApp in this window.",
    "use_here": "Use here",
    "logging_out": "Logging out...",
    "type_message": "Type a message",
    "send": "Send",
    "select_chat": "Select a chat to start messaging",
    "app_locked": "App lock is not set up on this computer.",
    "qr_label_old": "Scan me!",
    "delete_chat": "Delete chat",
    "clear_chat": "Clear chat",
    "delete_account": "Delete account",
    "block": "Block",
    "report": "Report",
    "account_sub": "Security notifications, change number",
    "privacy_sub": "Blocked contacts, disappearing messages",
    "chats_sub": "Theme, wallpapers, chat settings",
    "notifications_sub": "Message notifications",
}

ES: dict[str, str] = {
    **EN,
    "encrypted": "Cifrado de extremo a extremo",
    "loading": "Cargando tus chats",
    "qr_title": "Inicia sesión en WhatsApp Web",
    "qr_step_1": "Abre WhatsApp en tu teléfono",
    "qr_step_2": "Toca Menú o Ajustes y selecciona Dispositivos vinculados",
    "qr_step_3": "Toca Vincular un dispositivo",
    "qr_step_4": "Apunta tu teléfono hacia esta pantalla para escanear el código QR",
    "qr_label": "¡Escanea este código QR para vincular un dispositivo!",
    "stay_logged_in": "Mantener la sesión iniciada en este navegador",
    "chats": "Chats",
    "chat_list": "Lista de chats",
    "search": "Buscar o empezar un chat nuevo",
    "new_chat": "Nuevo chat",
    "menu": "Menú",
    "status": "Estados",
    "channels": "Canales",
    "communities": "Comunidades",
    "settings": "Ajustes",
    "profile": "Perfil",
    "new_group": "Nuevo grupo",
    "starred": "Mensajes destacados",
    "select_chats": "Seleccionar chats",
    "account": "Cuenta",
    "privacy": "Privacidad",
    "notifications": "Notificaciones",
    "shortcuts": "Atajos del teclado",
    "help": "Ayuda",
    "log_out": "Cerrar sesión",
    "confirm_title": "¿Cerrar sesión?",
    "confirm_body": "¿Seguro que quieres cerrar sesión?",
    "confirm_still_sending": "Algunos de tus mensajes aún se están enviando.",
    "confirm_app_lock": "En lugar de cerrar sesión, puedes bloquear la aplicación con una "
    "contraseña para que nadie más vea tus chats en esta computadora.",
    "lock_app": "Bloquear aplicación",
    "cancel": "Cancelar",
    "notify_title": "Recibe notificaciones de mensajes nuevos",
    "notify_action": "Activar las notificaciones de escritorio",
    "close": "Cerrar",
    "whats_new_title": "Novedades",
    "whats_new_body": "Ahora puedes fijar hasta tres chats y reaccionar a los mensajes con "
    "cualquier emoji.",
    "ok": "Aceptar",
    "offline_title": "La computadora no está conectada",
    "offline_body": "Asegúrate de que tu computadora tenga una conexión a Internet activa.",
    "another_session": 'WhatsApp está abierto en otra ventana. Haz clic en "Usar aquí" para '
    "usar WhatsApp en esta ventana.",
    "conflict": "WhatsApp está abierto en otra computadora o navegador. Haz clic en "
    '"Usar aquí" para usar WhatsApp en esta ventana.',
    "use_here": "Usar aquí",
    "logging_out": "Cerrando sesión...",
    "type_message": "Escribe un mensaje",
    "send": "Enviar",
    "select_chat": "Selecciona un chat para empezar a enviar mensajes",
    "app_locked": "El bloqueo de la aplicación no está configurado en esta computadora.",
    "qr_label_old": "¡Escanéame!",
    "delete_chat": "Eliminar chat",
    "clear_chat": "Vaciar chat",
    "delete_account": "Eliminar cuenta",
    "block": "Bloquear",
    "report": "Reportar",
    "account_sub": "Notificaciones de seguridad, cambiar número",
    "privacy_sub": "Contactos bloqueados, mensajes temporales",
    "chats_sub": "Tema, fondos de pantalla, ajustes de chats",
    "notifications_sub": "Notificaciones de mensajes",
}

PT_BR: dict[str, str] = {
    **EN,
    "encrypted": "Protegido com a criptografia de ponta a ponta",
    "loading": "Carregando suas conversas",
    "qr_title": "Entre no WhatsApp Web",
    "qr_step_1": "Abra o WhatsApp no seu celular",
    "qr_step_2": "Toque em Mais opções ou Configurações e selecione Dispositivos conectados",
    "qr_step_3": "Toque em Conectar um dispositivo",
    "qr_step_4": "Aponte seu celular para esta tela para escanear o QR code",
    "qr_label": "Escaneie este QR code para conectar um dispositivo!",
    "stay_logged_in": "Continuar conectado neste navegador",
    "chats": "Conversas",
    "chat_list": "Lista de conversas",
    "search": "Pesquisar ou começar uma nova conversa",
    "new_chat": "Nova conversa",
    "menu": "Mais opções",
    "status": "Status",
    "channels": "Canais",
    "communities": "Comunidades",
    "settings": "Configurações",
    "profile": "Perfil",
    "new_group": "Novo grupo",
    "starred": "Mensagens favoritas",
    "select_chats": "Selecionar conversas",
    "account": "Conta",
    "privacy": "Privacidade",
    "notifications": "Notificações",
    "shortcuts": "Atalhos do teclado",
    "help": "Ajuda",
    "log_out": "Desconectar",
    "confirm_title": "Desconectar?",
    "confirm_body": "Tem certeza de que deseja desconectar?",
    "confirm_still_sending": "Algumas das suas mensagens ainda estão sendo enviadas.",
    "confirm_app_lock": "Em vez de desconectar, você pode bloquear o app com uma senha para que "
    "ninguém mais veja suas conversas neste computador.",
    "lock_app": "Bloquear app",
    "cancel": "Cancelar",
    "notify_title": "Receba notificações de novas mensagens",
    "notify_action": "Ativar notificações na área de trabalho",
    "close": "Fechar",
    "whats_new_title": "Novidades",
    "whats_new_body": "Agora você pode fixar até três conversas e reagir às mensagens com "
    "qualquer emoji.",
    "ok": "OK",
    "offline_title": "Computador não conectado",
    "offline_body": "Verifique se o seu computador tem uma conexão ativa com a internet.",
    "another_session": 'O WhatsApp está aberto em outra janela. Clique em "Usar aqui" para '
    "usar o WhatsApp nesta janela.",
    "conflict": "O WhatsApp está aberto em outro computador ou navegador. Clique em "
    '"Usar aqui" para usar o WhatsApp nesta janela.',
    "use_here": "Usar aqui",
    "logging_out": "Desconectando...",
    "type_message": "Digite uma mensagem",
    "send": "Enviar",
    "select_chat": "Selecione uma conversa para começar a enviar mensagens",
    "app_locked": "O bloqueio do app não está configurado neste computador.",
    "qr_label_old": "Escaneie-me!",
    "delete_chat": "Apagar conversa",
    "clear_chat": "Limpar conversa",
    "delete_account": "Apagar conta",
    "block": "Bloquear",
    "report": "Denunciar",
    "account_sub": "Notificações de segurança, mudar número",
    "privacy_sub": "Contatos bloqueados, mensagens temporárias",
    "chats_sub": "Tema, papéis de parede, configurações das conversas",
    "notifications_sub": "Notificações de mensagens",
}

ID: dict[str, str] = {
    **EN,
    "encrypted": "Terenkripsi secara end-to-end",
    "loading": "Memuat chat Anda",
    "qr_title": "Masuk ke WhatsApp Web",
    "qr_step_1": "Buka WhatsApp di telepon Anda",
    "qr_step_2": "Ketuk Menu atau Setelan dan pilih Perangkat tertaut",
    "qr_step_3": "Ketuk Tautkan perangkat",
    "qr_step_4": "Arahkan telepon Anda ke layar ini untuk memindai kode QR",
    "qr_label": "Pindai kode QR ini untuk menautkan perangkat!",
    "stay_logged_in": "Tetap masuk di browser ini",
    "chats": "Chat",
    "chat_list": "Daftar chat",
    "search": "Cari atau mulai chat baru",
    "new_chat": "Chat baru",
    "menu": "Menu",
    "status": "Status",
    "channels": "Saluran",
    "communities": "Komunitas",
    "settings": "Setelan",
    "profile": "Profil",
    "new_group": "Grup baru",
    "starred": "Pesan berbintang",
    "select_chats": "Pilih chat",
    "account": "Akun",
    "privacy": "Privasi",
    "notifications": "Notifikasi",
    "shortcuts": "Pintasan keyboard",
    "help": "Bantuan",
    "log_out": "Keluar",
    "confirm_title": "Keluar?",
    "confirm_body": "Anda yakin ingin keluar?",
    "confirm_still_sending": "Beberapa pesan Anda masih dalam proses pengiriman.",
    "confirm_app_lock": "Daripada keluar, Anda dapat mengunci aplikasi dengan kata sandi agar "
    "orang lain tidak dapat melihat chat Anda di komputer ini.",
    "lock_app": "Kunci aplikasi",
    "cancel": "Batal",
    "notify_title": "Dapatkan notifikasi pesan baru",
    "notify_action": "Aktifkan notifikasi desktop",
    "close": "Tutup",
    "whats_new_title": "Yang baru",
    "whats_new_body": "Kini Anda dapat menyematkan hingga tiga chat dan bereaksi terhadap pesan "
    "dengan emoji apa pun.",
    "ok": "OK",
    "offline_title": "Komputer tidak terhubung",
    "offline_body": "Pastikan komputer Anda memiliki koneksi Internet yang aktif.",
    "another_session": 'WhatsApp terbuka di jendela lain. Klik "Gunakan di sini" untuk '
    "menggunakan WhatsApp di jendela ini.",
    "conflict": 'WhatsApp terbuka di komputer atau browser lain. Klik "Gunakan di sini" untuk '
    "menggunakan WhatsApp di jendela ini.",
    "use_here": "Gunakan di sini",
    "logging_out": "Sedang keluar...",
    "type_message": "Ketik pesan",
    "send": "Kirim",
    "select_chat": "Pilih chat untuk mulai berkirim pesan",
    "app_locked": "Kunci aplikasi belum diatur di komputer ini.",
    "qr_label_old": "Pindai saya!",
    "delete_chat": "Hapus chat",
    "clear_chat": "Bersihkan chat",
    "delete_account": "Hapus akun",
    "block": "Blokir",
    "report": "Laporkan",
    "account_sub": "Notifikasi keamanan, ganti nomor",
    "privacy_sub": "Kontak yang diblokir, pesan sementara",
    "chats_sub": "Tema, wallpaper, setelan chat",
    "notifications_sub": "Notifikasi pesan",
}

DE: dict[str, str] = {
    **EN,
    "encrypted": "Ende-zu-Ende-verschlüsselt",
    "loading": "Deine Chats werden geladen",
    "qr_title": "Bei WhatsApp Web anmelden",
    "qr_step_1": "Öffne WhatsApp auf deinem Telefon",
    "qr_step_2": "Tippe auf Menü oder Einstellungen und wähle Verknüpfte Geräte",
    "qr_step_3": "Tippe auf Gerät hinzufügen",
    "qr_step_4": "Richte dein Telefon auf diesen Bildschirm, um den QR-Code zu scannen",
    "qr_label": "Scanne diesen QR-Code, um ein Gerät zu verknüpfen!",
    "stay_logged_in": "In diesem Browser angemeldet bleiben",
    "chats": "Chats",
    "chat_list": "Chatliste",
    "search": "Suchen oder neuen Chat beginnen",
    "new_chat": "Neuer Chat",
    "menu": "Menü",
    "status": "Status",
    "channels": "Kanäle",
    "communities": "Communities",
    "settings": "Einstellungen",
    "profile": "Profil",
    "new_group": "Neue Gruppe",
    "starred": "Markierte Nachrichten",
    "select_chats": "Chats auswählen",
    "account": "Konto",
    "privacy": "Datenschutz",
    "notifications": "Benachrichtigungen",
    "shortcuts": "Tastenkombinationen",
    "help": "Hilfe",
    "log_out": "Abmelden",
    "confirm_title": "Abmelden?",
    "confirm_body": "Möchtest du dich wirklich abmelden?",
    "confirm_still_sending": "Einige deiner Nachrichten werden noch gesendet.",
    "confirm_app_lock": "Statt dich abzumelden, kannst du die App mit einem Passwort sperren, "
    "damit niemand sonst deine Chats auf diesem Computer sieht.",
    "lock_app": "App sperren",
    "cancel": "Abbrechen",
    "notify_title": "Lass dich über neue Nachrichten benachrichtigen",
    "notify_action": "Desktop-Benachrichtigungen aktivieren",
    "close": "Schließen",
    "whats_new_title": "Neuigkeiten",
    "whats_new_body": "Du kannst jetzt bis zu drei Chats anheften und mit jedem Emoji auf "
    "Nachrichten reagieren.",
    "ok": "OK",
    "offline_title": "Computer nicht verbunden",
    "offline_body": "Stelle sicher, dass dein Computer eine aktive Internetverbindung hat.",
    "another_session": 'WhatsApp ist in einem anderen Fenster geöffnet. Klicke auf "Hier '
    'verwenden", um WhatsApp in diesem Fenster zu verwenden.',
    "conflict": "WhatsApp ist auf einem anderen Computer oder in einem anderen Browser "
    'geöffnet. Klicke auf "Hier verwenden", um WhatsApp in diesem Fenster zu verwenden.',
    "use_here": "Hier verwenden",
    "logging_out": "Abmeldung läuft...",
    "type_message": "Nachricht eingeben",
    "send": "Senden",
    "select_chat": "Wähle einen Chat aus, um Nachrichten zu senden",
    "app_locked": "Die App-Sperre ist auf diesem Computer nicht eingerichtet.",
    "qr_label_old": "Scanne mich!",
    "delete_chat": "Chat löschen",
    "clear_chat": "Chat leeren",
    "delete_account": "Konto löschen",
    "block": "Blockieren",
    "report": "Melden",
    "account_sub": "Sicherheitsbenachrichtigungen, Nummer ändern",
    "privacy_sub": "Blockierte Kontakte, selbstlöschende Nachrichten",
    "chats_sub": "Design, Hintergründe, Chat-Einstellungen",
    "notifications_sub": "Nachrichtenbenachrichtigungen",
}

FR: dict[str, str] = {
    **EN,
    "encrypted": "Chiffré de bout en bout",
    "loading": "Chargement de vos discussions",
    "qr_title": "Connectez-vous à WhatsApp Web",
    "qr_step_1": "Ouvrez WhatsApp sur votre téléphone",
    "qr_step_2": "Appuyez sur Menu ou Paramètres et sélectionnez Appareils connectés",
    "qr_step_3": "Appuyez sur Connecter un appareil",
    "qr_step_4": "Pointez votre téléphone vers cet écran pour scanner le code QR",
    "qr_label": "Scannez ce code QR pour connecter un appareil !",
    "stay_logged_in": "Rester connecté sur ce navigateur",
    "chats": "Discussions",
    "chat_list": "Liste des discussions",
    "search": "Rechercher ou démarrer une discussion",
    "new_chat": "Nouvelle discussion",
    "menu": "Menu",
    "status": "Statut",
    "channels": "Chaînes",
    "communities": "Communautés",
    "settings": "Paramètres",
    "profile": "Profil",
    "new_group": "Nouveau groupe",
    "starred": "Messages importants",
    "select_chats": "Sélectionner des discussions",
    "account": "Compte",
    "privacy": "Confidentialité",
    "notifications": "Notifications",
    "shortcuts": "Raccourcis clavier",
    "help": "Aide",
    "log_out": "Se déconnecter",
    "confirm_title": "Se déconnecter ?",
    "confirm_body": "Voulez-vous vraiment vous déconnecter ?",
    "confirm_still_sending": "Certains de vos messages sont encore en cours d'envoi.",
    "confirm_app_lock": "Au lieu de vous déconnecter, vous pouvez verrouiller l'application avec "
    "un mot de passe pour que personne d'autre ne voie vos discussions sur cet ordinateur.",
    "lock_app": "Verrouiller l'application",
    "cancel": "Annuler",
    "notify_title": "Soyez averti des nouveaux messages",
    "notify_action": "Activer les notifications sur le bureau",
    "close": "Fermer",
    "whats_new_title": "Nouveautés",
    "whats_new_body": "Vous pouvez désormais épingler jusqu'à trois discussions et réagir aux "
    "messages avec n'importe quel emoji.",
    "ok": "OK",
    "offline_title": "Ordinateur non connecté",
    "offline_body": "Assurez-vous que votre ordinateur dispose d'une connexion Internet active.",
    "another_session": "WhatsApp est ouvert dans une autre fenêtre. Cliquez sur « Utiliser ici » "
    "pour utiliser WhatsApp dans cette fenêtre.",
    "conflict": "WhatsApp est ouvert sur un autre ordinateur ou navigateur. Cliquez sur "
    "« Utiliser ici » pour utiliser WhatsApp dans cette fenêtre.",
    "use_here": "Utiliser ici",
    "logging_out": "Déconnexion...",
    "type_message": "Tapez un message",
    "send": "Envoyer",
    "select_chat": "Sélectionnez une discussion pour commencer à envoyer des messages",
    "app_locked": "Le verrouillage de l'application n'est pas configuré sur cet ordinateur.",
    "qr_label_old": "Scannez-moi !",
    "delete_chat": "Supprimer la discussion",
    "clear_chat": "Effacer la discussion",
    "delete_account": "Supprimer le compte",
    "block": "Bloquer",
    "report": "Signaler",
    "account_sub": "Notifications de sécurité, changer de numéro",
    "privacy_sub": "Contacts bloqués, messages éphémères",
    "chats_sub": "Thème, fonds d'écran, paramètres des discussions",
    "notifications_sub": "Notifications de messages",
}

# Pseudo-locales: built from EN so that no table in any agent holds them.
# en-XA: every letter accented, the text lengthened by about a third, in brackets, the way
# pseudo-localisation tests expose hard-coded strings ("Log out" -> "[Ļöĝ öûţ one]").
_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)
_PADDING = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def accented(text: str) -> str:
    """Given English text, return its en-XA form: accented letters, about 30% longer, bracketed."""
    extra = max(1, round(len(text) * 0.3 / 5))
    return f"[{text.translate(_ACCENTED)} {' '.join(_PADDING[:extra])}]"


_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


def invented(word: str) -> str:
    """Given a word, return a pronounceable invented word for it, the same every time.

    The same English word always becomes the same invented word (like a real language, the menu
    item and the confirm button then say the same thing); capitals and punctuation are kept.
    """
    core = "".join(char for char in word if char.isalnum())
    if not core:
        return word
    digest = hashlib.sha256(core.lower().encode()).digest()
    syllables = 1 + digest[0] % 3
    made = "".join(
        _CONSONANTS[digest[1 + 2 * i] % len(_CONSONANTS)] + _VOWELS[digest[2 + 2 * i] % 5]
        for i in range(syllables)
    )
    made += _CONSONANTS[digest[9] % len(_CONSONANTS)] if digest[10] % 2 else ""
    if core[0].isupper():
        made = made.capitalize()
    start = word.index(core[0])
    end = word.rindex(core[-1]) + 1
    return word[:start] + made + word[end:]


def invented_words(text: str) -> str:
    """Given English text, return its x-words form: every word replaced by an invented one."""
    return re.sub(r"[A-Za-z][A-Za-z'-]*", lambda match: invented(match.group(0)), text)


EN_XA: dict[str, str] = {key: accented(value) for key, value in EN.items()}
X_WORDS: dict[str, str] = {key: invented_words(value) for key, value in EN.items()}

STRINGS: dict[str, dict[str, str]] = {
    "en": EN,
    "es": ES,
    "pt-BR": PT_BR,
    "id": ID,
    "de": DE,
    "fr": FR,
    "en-XA": EN_XA,
    "x-words": X_WORDS,
}


def strings(locale: str) -> dict[str, str]:
    """Given a locale code, return its string table. Raise KeyError if it is not supported."""
    if locale not in STRINGS:
        raise KeyError(f"unsupported locale {locale!r}; supported: {', '.join(STRINGS)}")
    return STRINGS[locale]
