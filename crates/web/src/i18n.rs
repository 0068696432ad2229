//! Russian and English texts. Each language is one `Strings` value, so a template that uses
//! a missing key does not compile. Error messages are chosen by their stable code.

use prospekt_domain::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    /// The Russian or the English text, for labels that live in one template only.
    pub fn tr(self, ru: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.get(..2).map(|c| c.to_ascii_lowercase()).as_deref() {
            Some("ru") => Some(Lang::Ru),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The first of ru/en named in an `Accept-Language` header, by the client's preference order.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut langs: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let lang = Lang::from_code(it.next()?.trim())?;
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                    .unwrap_or(1.0);
                Some((q, lang))
            })
            .collect();
        // Stable sort keeps header order among equal weights.
        langs.sort_by(|a, b| b.0.total_cmp(&a.0));
        langs.first().map(|(_, l)| *l)
    }

    /// Display name of a stored enum value (status, tier, kind, role).
    pub fn label<'a>(&self, value: &'a str) -> &'a str {
        label(*self, value)
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::Ru => &RU,
            Lang::En => &EN,
        }
    }
}

/// Russian plural forms: 1 сделка, 2 сделки, 5 сделок, 21 сделка, 11 сделок.
pub fn plural_ru<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (n10, n100) = (n % 10, n % 100);
    if n10 == 1 && n100 != 11 {
        one
    } else if (2..=4).contains(&n10) && !(12..=14).contains(&n100) {
        few
    } else {
        many
    }
}

/// Every UI string of the shell, in one language.
pub struct Strings {
    pub app_name: &'static str,
    pub tagline: &'static str,
    pub login_title: &'static str,
    pub login_field: &'static str,
    pub password_field: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub bad_credentials: &'static str,
    pub start_page: &'static str,
    pub api_docs: &'static str,
    pub nav_work: &'static str,
    pub nav_sales: &'static str,
    pub nav_money: &'static str,
    pub nav_analysis: &'static str,
    pub nav_admin: &'static str,
    pub not_yet: &'static str,
    pub hello: &'static str,
    pub clients: &'static str,
    pub name: &'static str,
    pub inn: &'static str,
    pub kpp: &'static str,
    pub ogrn: &'static str,
    pub status: &'static str,
    pub tier: &'static str,
    pub owner: &'static str,
    pub city: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub territory: &'static str,
    pub industry: &'static str,
    pub kind: &'static str,
    pub payment_terms: &'static str,
    pub credit_limit: &'static str,
    pub legal_address: &'static str,
    pub actual_address: &'static str,
    pub updated: &'static str,
    pub all: &'static str,
    pub filter: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub nothing_found: &'static str,
    pub requisites: &'static str,
    pub days: &'static str,
    pub unassigned: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub role: &'static str,
    pub your_clients: &'static str,
    pub language: &'static str,
    pub keyboard_hint: &'static str,
    pub nav_absences: &'static str,
    pub nav_users: &'static str,
    pub nav_audit: &'static str,
    pub nav_settings: &'static str,
    pub nav_plan: &'static str,
    pub nav_rules: &'static str,
    pub new_client: &'static str,
    pub nav_stale: &'static str,
    pub full_name: &'static str,
    pub size: &'static str,
    pub lead_source: &'static str,
    pub needs: &'static str,
    pub tags: &'static str,
    pub notes: &'static str,
    pub external_id: &'static str,
    pub created: &'static str,
    pub archived: &'static str,
    pub archived_badge: &'static str,
    pub bank_accounts: &'static str,
    pub bik: &'static str,
    pub account: &'static str,
    pub corr_account: &'static str,
    pub bank_name: &'static str,
    pub contacts: &'static str,
    pub messengers: &'static str,
    pub duplicates: &'static str,
    pub export: &'static str,
    pub import: &'static str,
    pub edit: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub archive_action: &'static str,
    pub restore_action: &'static str,
    pub later: &'static str,
}

pub static RU: Strings = Strings {
    app_name: "Проспект",
    tagline: "CRM отдела продаж",
    login_title: "Вход в Проспект",
    login_field: "Логин",
    password_field: "Пароль",
    sign_in: "Войти",
    sign_out: "Выйти",
    bad_credentials: "Неверный логин или пароль",
    start_page: "Главная",
    api_docs: "API",
    nav_work: "Работа с клиентами",
    nav_sales: "Продажи",
    nav_money: "Деньги",
    nav_analysis: "Анализ",
    nav_admin: "Администрирование",
    not_yet: "Раздел ещё не открыт",
    hello: "Здравствуйте",
    clients: "Клиенты",
    name: "Наименование",
    inn: "ИНН",
    kpp: "КПП",
    ogrn: "ОГРН",
    status: "Статус",
    tier: "Категория",
    owner: "Менеджер",
    city: "Город",
    phone: "Телефон",
    email: "Эл. почта",
    territory: "Территория",
    industry: "Отрасль",
    kind: "Вид",
    payment_terms: "Отсрочка платежа",
    credit_limit: "Кредитный лимит",
    legal_address: "Юридический адрес",
    actual_address: "Фактический адрес",
    updated: "Изменён",
    all: "Все",
    filter: "Показать",
    next_page: "Дальше →",
    first_page: "← В начало",
    nothing_found: "Ничего не найдено",
    requisites: "Реквизиты",
    days: "дн.",
    unassigned: "не назначен",
    not_found_title: "Не найдено",
    not_found_text: "Такой записи нет или у вас нет к ней доступа.",
    role: "Роль",
    your_clients: "Ваши клиенты",
    language: "Язык",
    keyboard_hint: "Клавиши: g h — главная, g p — план, g c — клиенты, g d — дубли, / — поиск, e — изменить карточку; в плане [ ] — недели, t — сегодня, n — новое дело",
    nav_absences: "Замещение",
    nav_users: "Пользователи",
    nav_audit: "Журнал аудита",
    nav_settings: "Настройки",
    nav_plan: "План контактов",
    nav_rules: "Частота контактов",
    new_client: "Новый клиент",
    nav_stale: "Давно без внимания",
    full_name: "Полное наименование",
    size: "Размер",
    lead_source: "Источник",
    needs: "Потребности",
    tags: "Метки",
    notes: "Заметки",
    external_id: "Внешний код",
    created: "Создан",
    archived: "Архив",
    archived_badge: "в архиве",
    bank_accounts: "Банковские счета",
    bik: "БИК",
    account: "Расчётный счёт",
    corr_account: "Корр. счёт",
    bank_name: "Банк",
    contacts: "Контактные лица",
    messengers: "Мессенджеры",
    duplicates: "Дубли",
    export: "Выгрузить",
    import: "Загрузить",
    edit: "Изменить",
    save: "Сохранить",
    cancel: "Отмена",
    archive_action: "В архив",
    restore_action: "Восстановить",
    later: "появится позже",
};

pub static EN: Strings = Strings {
    app_name: "Prospekt",
    tagline: "Sales department CRM",
    login_title: "Sign in to Prospekt",
    login_field: "Login",
    password_field: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    bad_credentials: "Wrong login or password",
    start_page: "Home",
    api_docs: "API",
    nav_work: "Clients",
    nav_sales: "Sales",
    nav_money: "Money",
    nav_analysis: "Analysis",
    nav_admin: "Administration",
    not_yet: "Not open yet",
    hello: "Hello",
    clients: "Clients",
    name: "Name",
    inn: "INN",
    kpp: "KPP",
    ogrn: "OGRN",
    status: "Status",
    tier: "Tier",
    owner: "Manager",
    city: "City",
    phone: "Phone",
    email: "Email",
    territory: "Territory",
    industry: "Industry",
    kind: "Kind",
    payment_terms: "Payment terms",
    credit_limit: "Credit limit",
    legal_address: "Legal address",
    actual_address: "Actual address",
    updated: "Updated",
    all: "All",
    filter: "Show",
    next_page: "Next →",
    first_page: "← First page",
    nothing_found: "Nothing found",
    requisites: "Requisites",
    days: "days",
    unassigned: "unassigned",
    not_found_title: "Not found",
    not_found_text: "There is no such record, or you have no access to it.",
    role: "Role",
    your_clients: "Your clients",
    language: "Language",
    keyboard_hint: "Keys: g h — home, g p — plan, g c — clients, g d — duplicates, / — search, e — edit the card; in the plan [ ] — weeks, t — today, n — new activity",
    nav_absences: "Delegation",
    nav_users: "Users",
    nav_audit: "Audit log",
    nav_settings: "Settings",
    nav_plan: "Contact plan",
    nav_rules: "Contact frequency",
    new_client: "New client",
    nav_stale: "Needing attention",
    full_name: "Full name",
    size: "Size",
    lead_source: "Lead source",
    needs: "Needs",
    tags: "Tags",
    notes: "Notes",
    external_id: "External ID",
    created: "Created",
    archived: "Archive",
    archived_badge: "archived",
    bank_accounts: "Bank accounts",
    bik: "BIK",
    account: "Account",
    corr_account: "Corr. account",
    bank_name: "Bank",
    contacts: "Contact persons",
    messengers: "Messengers",
    duplicates: "Duplicates",
    export: "Export",
    import: "Import",
    edit: "Edit",
    save: "Save",
    cancel: "Cancel",
    archive_action: "Archive",
    restore_action: "Restore",
    later: "coming later",
};

/// Display name of a stored enum value (status, tier, kind, role) in the given language.
pub fn label(lang: Lang, value: &str) -> &str {
    let (ru, en) = match value {
        "suspect" => ("Потенциальный", "Suspect"),
        "prospect" => ("Перспективный", "Prospect"),
        "qualified" => ("Квалифицирован", "Qualified"),
        "client" => ("Клиент", "Client"),
        "key_client" => ("Ключевой клиент", "Key client"),
        "dormant" => ("Спящий", "Dormant"),
        "lost" => ("Потерян", "Lost"),
        "regular" => ("Обычный", "Regular"),
        "key" => ("Ключевой", "Key"),
        "vip" => ("VIP", "VIP"),
        "legal_entity" => ("Юридическое лицо", "Legal entity"),
        "sole_proprietor" => ("ИП", "Sole proprietor"),
        "person" => ("Физическое лицо", "Person"),
        "manager" => ("Менеджер", "Manager"),
        "key_account_manager" => ("Менеджер по ключевым клиентам", "Key account manager"),
        "head_of_department" => ("Начальник отдела", "Head of department"),
        "commercial_director" => ("Коммерческий директор", "Commercial director"),
        "sales_support" => ("Поддержка продаж", "Sales support"),
        "credit_controller" => ("Кредитный контролёр", "Credit controller"),
        "administrator" => ("Администратор", "Administrator"),
        "general_director" => ("Генеральный директор", "General director"),
        "decision_maker" => ("Принимает решение", "Decision maker"),
        "influencer" => ("Влияет на решение", "Influencer"),
        "user" => ("Пользователь", "User"),
        "gatekeeper" => ("Секретарь / фильтр", "Gatekeeper"),
        "accountant" => ("Бухгалтер", "Accountant"),
        "call" => ("Звонок", "Call"),
        "visit" => ("Визит", "Visit"),
        "meeting" => ("Встреча", "Meeting"),
        "email" => ("E-mail", "E-mail"),
        "letter" => ("Письмо", "Letter"),
        "task" => ("Задача", "Task"),
        "note" => ("Заметка", "Note"),
        "planned" => ("Запланировано", "Planned"),
        "done" => ("Выполнено", "Done"),
        "not_done" => ("Не выполнено", "Not done"),
        "first_contact" => ("Первый контакт", "First contact"),
        "needs_identified" => ("Потребность выявлена", "Needs identified"),
        "offer_sent" => ("КП отправлено", "Offer sent"),
        "negotiation" => ("Переговоры", "Negotiation"),
        "contract" => ("Договор", "Contract"),
        "won" => ("Выиграна", "Won"),
        "draft" => ("Черновик", "Draft"),
        "sent" => ("Отправлено", "Sent"),
        "accepted" => ("Принято", "Accepted"),
        "rejected" => ("Отклонено", "Rejected"),
        "expired" => ("Истёк срок", "Expired"),
        "superseded" => ("Заменено новой версией", "Superseded"),
        "none" => ("Не требуется", "Not needed"),
        "required" => ("Требуется согласование", "Approval required"),
        "pending" => ("На согласовании", "Pending approval"),
        "approved" => ("Согласовано", "Approved"),
        "withdrawn" => ("Отозвано", "Withdrawn"),
        "over_limit" => ("Скидка выше лимита", "Discount over the limit"),
        "below_minimum" => ("Цена ниже минимальной", "Price below the minimum"),
        "discount" => ("Скидка", "Discount"),
        "bonus" => ("Бонусы", "Bonus"),
        other => return other_label(other),
    };
    match lang {
        Lang::Ru => ru,
        Lang::En => en,
    }
}

fn other_label(value: &str) -> &str {
    value
}

/// The human message for a field error, naming the field and the reason.
pub fn field_error_message(lang: Lang, e: &FieldError) -> String {
    let param = |k: &str| {
        e.params
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let reason = param("reason");
    match (lang, e.code) {
        (Lang::Ru, "invalid_inn") => format!("ИНН указан неверно{}", reason_ru(reason)),
        (Lang::En, "invalid_inn") => format!("INN is invalid{}", reason_en(reason)),
        (Lang::Ru, "invalid_kpp") => {
            "КПП должен состоять из 9 символов: 4 цифры, 2 цифры или заглавные латинские буквы, 3 цифры".into()
        }
        (Lang::En, "invalid_kpp") => {
            "KPP must be 9 characters: 4 digits, 2 digits or capital Latin letters, 3 digits".into()
        }
        (Lang::Ru, "invalid_ogrn") => format!("ОГРН указан неверно{}", reason_ru(reason)),
        (Lang::En, "invalid_ogrn") => format!("OGRN is invalid{}", reason_en(reason)),
        (Lang::Ru, "invalid_ogrnip") => format!("ОГРНИП указан неверно{}", reason_ru(reason)),
        (Lang::En, "invalid_ogrnip") => format!("OGRNIP is invalid{}", reason_en(reason)),
        (Lang::Ru, "invalid_bik") => "БИК должен состоять из 9 цифр".into(),
        (Lang::En, "invalid_bik") => "BIK must be 9 digits".into(),
        (Lang::Ru, "invalid_money") => {
            "Сумма указана неверно: ожидается число с не более чем двумя знаками после запятой".into()
        }
        (Lang::En, "invalid_money") => "Amount is invalid: expected a number with at most two decimal places".into(),
        (Lang::Ru, "required") => format!("Поле «{}» обязательно", e.field),
        (Lang::En, "required") => format!("Field \"{}\" is required", e.field),
        (Lang::Ru, "invalid_id") => format!("«{}» не является идентификатором", param("value")),
        (Lang::En, "invalid_id") => format!("\"{}\" is not an identifier", param("value")),
        (Lang::Ru, "invalid_cursor") => "Курсор страницы повреждён; начните с первой страницы".into(),
        (Lang::En, "invalid_cursor") => "The page cursor is damaged; start from the first page".into(),
        (Lang::Ru, "invalid_limit") => "Размер страницы должен быть от 1 до 200".into(),
        (Lang::En, "invalid_limit") => "Page size must be between 1 and 200".into(),
        (Lang::Ru, "query_too_short") => format!("Запрос слишком короткий: не менее {} символов", param("min")),
        (Lang::En, "query_too_short") => format!("The query is too short: at least {} characters", param("min")),
        (Lang::Ru, "invalid_status") => format!("Неизвестный статус «{}»", param("value")),
        (Lang::En, "invalid_status") => format!("Unknown status \"{}\"", param("value")),
        (Lang::Ru, "invalid_tier") => format!("Неизвестная категория «{}»", param("value")),
        (Lang::En, "invalid_tier") => format!("Unknown tier \"{}\"", param("value")),
        (Lang::Ru, "invalid_role") => format!("Неизвестная роль «{}»", param("value")),
        (Lang::En, "invalid_role") => format!("Unknown role \"{}\"", param("value")),
        (Lang::Ru, "invalid_json") => format!("Тело запроса не является корректным JSON: {}", param("detail")),
        (Lang::En, "invalid_json") => format!("The request body is not valid JSON: {}", param("detail")),
        (Lang::Ru, "wrong_password") => "Текущий пароль указан неверно".into(),
        (Lang::En, "wrong_password") => "The current password is wrong".into(),
        (Lang::Ru, "password_too_short") => format!("Пароль слишком короткий: не менее {} символов", param("min")),
        (Lang::En, "password_too_short") => format!("The password is too short: at least {} characters", param("min")),
        (Lang::Ru, "invalid_login") => "Логин: от 2 до 64 латинских букв, цифр, «.», «_» или «-»".into(),
        (Lang::En, "invalid_login") => "Login: 2–64 Latin letters, digits, '.', '_' or '-'".into(),
        (Lang::Ru, "ends_before_start") => "Дата окончания раньше даты начала".into(),
        (Lang::En, "ends_before_start") => "The end date is before the start date".into(),
        (Lang::Ru, "period_too_long") => match e.param("max_days") {
            Some(d) => format!("Период слишком длинный: не более {d} дней"),
            None => "Период длиннее года — проверьте даты".into(),
        },
        (Lang::En, "period_too_long") => match e.param("max_days") {
            Some(d) => format!("The period is too long: at most {d} days"),
            None => "The period is longer than a year; check the dates".into(),
        },
        (Lang::Ru, "invalid_date") => format!("«{}» — не дата; ожидается ГГГГ-ММ-ДД", param("value")),
        (Lang::En, "invalid_date") => format!("\"{}\" is not a date; expected YYYY-MM-DD", param("value")),
        (Lang::Ru, "unknown_user") => "Такого пользователя нет".into(),
        (Lang::En, "unknown_user") => "No such user".into(),
        (Lang::Ru, "unknown_department") => "Такого отдела нет".into(),
        (Lang::En, "unknown_department") => "No such department".into(),
        (Lang::Ru, "unknown_territory") => format!("Такой территории нет: {}", param("value")),
        (Lang::En, "unknown_territory") => format!("No such territory: {}", param("value")),
        (Lang::Ru, "substitute_is_absent_user") => "Сотрудник не может замещать сам себя".into(),
        (Lang::En, "substitute_is_absent_user") => "A person cannot stand in for themselves".into(),
        (Lang::Ru, "inactive_user") => "Этот пользователь отключён".into(),
        (Lang::En, "inactive_user") => "This user is deactivated".into(),
        (Lang::Ru, "invalid_absence_kind") => "Вид отсутствия: leave, sick_leave, business_trip или other".into(),
        (Lang::En, "invalid_absence_kind") => "Absence kind: leave, sick_leave, business_trip or other".into(),
        (Lang::Ru, "invalid_locale") => "Язык: ru или en".into(),
        (Lang::En, "invalid_locale") => "Language: ru or en".into(),
        (Lang::Ru, "invalid_code") => "Код: латинские буквы, цифры, «_» или «-»".into(),
        (Lang::En, "invalid_code") => "Code: Latin letters, digits, '_' or '-'".into(),
        (Lang::Ru, "invalid_version") => "Укажите версию записи (version), полученную при чтении".into(),
        (Lang::En, "invalid_version") => "Send the record's version as read".into(),
        (Lang::Ru, "kpp_not_applicable") => "КПП бывает только у юридических лиц".into(),
        (Lang::En, "kpp_not_applicable") => "Only legal entities have a KPP".into(),
        (Lang::Ru, "ogrn_not_applicable") => "У физического лица нет ОГРН".into(),
        (Lang::En, "ogrn_not_applicable") => "A person has no OGRN".into(),
        (Lang::Ru, "invalid_phone") => format!("Телефон указан неверно{}", reason_ru(param("reason"))),
        (Lang::En, "invalid_phone") => format!("The phone number is invalid{}", reason_en(param("reason"))),
        (Lang::Ru, "invalid_email") => "Адрес эл. почты указан неверно".into(),
        (Lang::En, "invalid_email") => "The e-mail address is invalid".into(),
        (Lang::Ru, "invalid_kind") => "Вид: legal_entity, sole_proprietor или person".into(),
        (Lang::En, "invalid_kind") => "Kind: legal_entity, sole_proprietor or person".into(),
        (Lang::Ru, "invalid_decision_role") => {
            "Роль в решении: decision_maker, influencer, user, gatekeeper или accountant".into()
        }
        (Lang::En, "invalid_decision_role") => {
            "Decision role: decision_maker, influencer, user, gatekeeper or accountant".into()
        }
        (Lang::Ru, "negative") => format!("Поле «{}» не может быть отрицательным", e.field),
        (Lang::En, "negative") => format!("\"{}\" cannot be negative", e.field),
        (Lang::Ru, "out_of_range") => format!(
            "Поле «{}»: допустимо от {} до {}",
            e.field,
            e.param("min").unwrap_or("0"),
            param("max")
        ),
        (Lang::En, "out_of_range") => format!(
            "\"{}\" must be between {} and {}",
            e.field,
            e.param("min").unwrap_or("0"),
            param("max")
        ),
        (Lang::Ru, "owner_outside_department") => "Менеджер должен быть из вашего отдела".into(),
        (Lang::En, "owner_outside_department") => "The manager must be from your department".into(),
        (Lang::Ru, "in_future") => format!("Поле «{}»: дата ещё не наступила", e.field),
        (Lang::En, "in_future") => format!("\"{}\": the date is in the future", e.field),
        (Lang::Ru, "invalid_account") => format!("Расчётный счёт указан неверно{}", reason_ru(reason)),
        (Lang::En, "invalid_account") => format!("The settlement account is invalid{}", reason_en(reason)),
        (Lang::Ru, "invalid_corr_account") => format!("Корреспондентский счёт указан неверно{}", reason_ru(reason)),
        (Lang::En, "invalid_corr_account") => format!("The correspondent account is invalid{}", reason_en(reason)),
        (Lang::Ru, "same_record") => "Нельзя объединить запись саму с собой".into(),
        (Lang::En, "same_record") => "A record cannot be merged with itself".into(),
        (Lang::Ru, "merged_record") => "Эта запись уже объединена с другой".into(),
        (Lang::En, "merged_record") => "This record has already been merged into another".into(),
        (Lang::Ru, "kind_mismatch") => "Объединять можно только контрагентов одного вида".into(),
        (Lang::En, "kind_mismatch") => "Only counterparties of the same kind can be merged".into(),
        (Lang::Ru, "inn_mismatch") => "У записей разные ИНН — это разные организации".into(),
        (Lang::En, "inn_mismatch") => "The records have different INNs: they are different businesses".into(),
        (Lang::Ru, "invalid_reason") => "Причина: inn, name_city, phone или email".into(),
        (Lang::En, "invalid_reason") => "Reason: inn, name_city, phone or email".into(),
        (Lang::Ru, "invalid_number") => format!("Поле «{}»: ожидается целое число", e.field),
        (Lang::En, "invalid_number") => format!("\"{}\": a whole number is expected", e.field),
        (Lang::Ru, "too_long") => format!("Поле «{}» слишком длинное", e.field),
        (Lang::En, "too_long") => format!("\"{}\" is too long", e.field),
        (Lang::Ru, "file_empty") => "Файл пуст: нет ни одной строки данных".into(),
        (Lang::En, "file_empty") => "The file is empty: no data rows".into(),
        (Lang::Ru, "file_not_table") => "Это не таблица CSV или XLSX".into(),
        (Lang::En, "file_not_table") => "This is not a CSV or XLSX table".into(),
        (Lang::Ru, "file_encoding") => "Неизвестная кодировка: сохраните файл в UTF-8 или Windows-1251".into(),
        (Lang::En, "file_encoding") => "Unknown encoding: save the file as UTF-8 or Windows-1251".into(),
        (Lang::Ru, "file_malformed") => format!("Файл повреждён в строке {}: {}", param("line"), param("detail")),
        (Lang::En, "file_malformed") => format!("The file is broken at line {}: {}", param("line"), param("detail")),
        (Lang::Ru, "column_required") => format!("В файле нет обязательного столбца «{}»", param("column")),
        (Lang::En, "column_required") => format!("The file has no required column \"{}\"", param("column")),
        (Lang::Ru, "duplicate_in_file") => format!("Повтор строки {} этого же файла", param("line")),
        (Lang::En, "duplicate_in_file") => format!("Repeats line {} of the same file", param("line")),
        (Lang::Ru, "unknown_owner") => format!("Нет пользователя с логином «{}»", param("value")),
        (Lang::En, "unknown_owner") => format!("No user with login \"{}\"", param("value")),
        (Lang::Ru, "out_of_scope") => "Запись с этим ключом принадлежит другому менеджеру".into(),
        (Lang::En, "out_of_scope") => "The record with this key belongs to another manager".into(),
        (Lang::Ru, "too_large") => format!("Слишком большой запрос: не более {} МиБ", param("max_mib")),
        (Lang::En, "too_large") => format!("The request is too large: at most {} MiB", param("max_mib")),
        (Lang::Ru, "too_many_rows") => format!(
            "Слишком много строк для одной выгрузки (больше {}): уточните фильтр",
            param("max")
        ),
        (Lang::En, "too_many_rows") => format!(
            "Too many rows for one export (over {}): narrow the filter",
            param("max")
        ),
        (Lang::Ru, "unknown_header") => format!("В файле нет столбца «{}»", param("header")),
        (Lang::En, "unknown_header") => format!("The file has no column \"{}\"", param("header")),
        (Lang::Ru, "duplicate_column") => format!("Поле «{}» сопоставлено двум столбцам", param("column")),
        (Lang::En, "duplicate_column") => format!("Field \"{}\" is mapped to two columns", param("column")),
        (Lang::Ru, "invalid_column") => format!("Неизвестное поле «{}»", param("value")),
        (Lang::En, "invalid_column") => format!("Unknown field \"{}\"", param("value")),
        (Lang::Ru, "multipart_expected") => "Файл передаётся формой multipart/form-data в поле «file»".into(),
        (Lang::En, "multipart_expected") => "Send the file as multipart/form-data in the \"file\" field".into(),
        (Lang::Ru, "invalid_format") => format!("Формат «{}» не поддерживается: csv или xlsx", param("value")),
        (Lang::En, "invalid_format") => format!("Format \"{}\" is not supported: csv or xlsx", param("value")),
        (Lang::Ru, "export_not_allowed") => "Выгрузка данных вам не разрешена".into(),
        (Lang::En, "export_not_allowed") => "You are not allowed to export data".into(),
        (Lang::Ru, "invalid_activity_kind") => format!(
            "Неизвестный вид дела «{}»: call, visit, meeting, email, letter, task или note",
            param("value")
        ),
        (Lang::En, "invalid_activity_kind") => format!(
            "Unknown activity kind \"{}\": call, visit, meeting, email, letter, task or note",
            param("value")
        ),
        (Lang::Ru, "invalid_activity_status") => "Состояние дела: planned, done или not_done".into(),
        (Lang::En, "invalid_activity_status") => "Activity status: planned, done or not_done".into(),
        (Lang::Ru, "invalid_deal_stage") => format!("Неизвестная стадия сделки «{}»", param("value")),
        (Lang::En, "invalid_deal_stage") => format!("Unknown deal stage \"{}\"", param("value")),
        (Lang::Ru, "duration_contradicts_end") => "Длительность не совпадает с временем окончания".into(),
        (Lang::En, "duration_contradicts_end") => "The duration does not match the end time".into(),
        (Lang::Ru, "duration_out_of_range") => {
            format!("Длительность — от 1 минуты до {} минут (сутки)", param("max"))
        }
        (Lang::En, "duration_out_of_range") => format!("Duration must be 1 to {} minutes (a day)", param("max")),
        (Lang::Ru, "planned_in_past") => {
            "Нельзя запланировать дело на прошедшее время: укажите будущее время или отметьте дело выполненным".into()
        }
        (Lang::En, "planned_in_past") => {
            "An activity cannot be planned in the past: choose a future time or record it as done".into()
        }
        (Lang::Ru, "done_in_future") => "Выполненное дело не может начинаться в будущем".into(),
        (Lang::En, "done_in_future") => "A done activity cannot start in the future".into(),
        (Lang::Ru, "invalid_datetime") => format!(
            "«{}» — не дата и время; ожидается ГГГГ-ММ-ДДTЧЧ:ММ (московское время) или RFC 3339",
            param("value")
        ),
        (Lang::En, "invalid_datetime") => format!(
            "\"{}\" is not a date and time; expected YYYY-MM-DDTHH:MM (Moscow time) or RFC 3339",
            param("value")
        ),
        (Lang::Ru, "result_of_planned") => "У запланированного дела ещё нет результата".into(),
        (Lang::En, "result_of_planned") => "A planned activity has no result yet".into(),
        (Lang::Ru, "activity_not_planned") => "Дело уже отмечено: изменить можно только запланированное".into(),
        (Lang::En, "activity_not_planned") => "The activity is already marked; only planned ones change".into(),
        (Lang::Ru, "not_a_contact_of_client") => "Это контактное лицо другого клиента".into(),
        (Lang::En, "not_a_contact_of_client") => "This contact person belongs to another client".into(),
        (Lang::Ru, "not_a_deal_of_client") => "Это сделка другого клиента".into(),
        (Lang::En, "not_a_deal_of_client") => "This deal belongs to another client".into(),
        (Lang::Ru, "rule_without_interval") => {
            format!("Правило {}: укажите периодичность контакта или визита", param("rule"))
        }
        (Lang::En, "rule_without_interval") => format!("Rule {}: set a contact or a visit interval", param("rule")),
        (Lang::Ru, "duplicate_rule") => format!("Правило {} повторяет условия другого правила", param("rule")),
        (Lang::En, "duplicate_rule") => format!("Rule {} repeats the conditions of another rule", param("rule")),
        (Lang::Ru, "closed_deal_stage") => "Правило может относиться только к открытой стадии сделки".into(),
        (Lang::En, "closed_deal_stage") => "A rule can only refer to an open deal stage".into(),
        (Lang::Ru, "client_not_found") => {
            "Клиент не найден: начните вводить название или ИНН и выберите из подсказок".into()
        }
        (Lang::En, "client_not_found") => "No such client: type a name or INN and pick one of the suggestions".into(),
        (Lang::Ru, "client_ambiguous") => {
            let n = param("count").parse::<u64>().unwrap_or(0);
            format!(
                "Под это описание {} {n} {}: выберите нужного из подсказок",
                plural_ru(n, "подходит", "подходят", "подходят"),
                plural_ru(n, "клиент", "клиента", "клиентов")
            )
        }
        (Lang::En, "client_ambiguous") => format!(
            "{} clients match: pick the one you mean from the suggestions",
            param("count")
        ),
        // --- catalogue, deals, offers (issue 6)
        (Lang::Ru, "approval_required") => {
            "Цены требуют согласования руководителя: отправьте запрос и дождитесь решения".into()
        }
        (Lang::En, "approval_required") => {
            "The prices need the head's approval: request it and wait for the decision".into()
        }
        (Lang::Ru, "offer_not_draft") => "Изменять можно только черновик предложения; создайте новую версию".into(),
        (Lang::En, "offer_not_draft") => "Only a draft offer can be changed; make a new revision".into(),
        (Lang::Ru, "offer_expired") => format!("Срок действия предложения истёк ({})", param("valid_until")),
        (Lang::En, "offer_expired") => format!("The offer expired ({})", param("valid_until")),
        (Lang::Ru, "offer_not_sent") => "Ответ клиента записывается только по отправленному предложению".into(),
        (Lang::En, "offer_not_sent") => "The client's answer is recorded only for a sent offer".into(),
        (Lang::Ru, "offer_not_revisable") => {
            "Новую версию можно сделать из отправленного, отклонённого или просроченного предложения".into()
        }
        (Lang::En, "offer_not_revisable") => "A new revision is made from a sent, rejected or expired offer".into(),
        (Lang::Ru, "not_the_latest_revision") => "Это не последняя версия предложения".into(),
        (Lang::En, "not_the_latest_revision") => "This is not the latest revision of the offer".into(),
        (Lang::Ru, "approval_already_pending") => "Запрос на согласование уже отправлен".into(),
        (Lang::En, "approval_already_pending") => "An approval request is already pending".into(),
        (Lang::Ru, "approval_not_needed") => "Цены в пределах вашего лимита: согласование не нужно".into(),
        (Lang::En, "approval_not_needed") => "The prices are within your limit: no approval is needed".into(),
        (Lang::Ru, "approval_decided") => "По этому запросу уже принято решение".into(),
        (Lang::En, "approval_decided") => "This request has already been decided".into(),
        (Lang::Ru, "required_to_reject") => "Укажите причину отказа в комментарии".into(),
        (Lang::En, "required_to_reject") => "Give the reason for the rejection in the comment".into(),
        (Lang::Ru, "required_when_lost") => "Укажите причину проигрыша сделки".into(),
        (Lang::En, "required_when_lost") => "Give the reason the deal was lost".into(),
        (Lang::Ru, "deal_must_start_open") => "Новая сделка не может быть сразу выиграна или проиграна".into(),
        (Lang::En, "deal_must_start_open") => "A new deal cannot start as won or lost".into(),
        (Lang::Ru, "deal_closed") => "Сделка закрыта: новое предложение по ней не создаётся".into(),
        (Lang::En, "deal_closed") => "The deal is closed: no new offer can be made on it".into(),
        (Lang::Ru, "unknown_product") => format!("Строка {}: такого товара нет в каталоге", param("line")),
        (Lang::En, "unknown_product") => format!("Line {}: no such product in the catalogue", param("line")),
        (Lang::Ru, "product_archived") => format!("Строка {}: товар {} снят с продажи", param("line"), param("sku")),
        (Lang::En, "product_archived") => format!("Line {}: product {} is discontinued", param("line"), param("sku")),
        (Lang::Ru, "no_price_in_column") => {
            format!(
                "Строка {}: у товара {} нет цены в колонке прайс-листа клиента",
                param("line"),
                param("sku")
            )
        }
        (Lang::En, "no_price_in_column") => {
            format!(
                "Line {}: product {} has no price in the client's price column",
                param("line"),
                param("sku")
            )
        }
        (Lang::Ru, "price_column_not_allowed") => {
            "Эта колонка прайс-листа не назначена клиенту; другую колонку выбирает руководитель".into()
        }
        (Lang::En, "price_column_not_allowed") => {
            "This price column is not the client's; only a head may choose another".into()
        }
        (Lang::Ru, "unknown_price_column") => "Такой колонки прайс-листа нет".into(),
        (Lang::En, "unknown_price_column") => "No such price column".into(),
        (Lang::Ru, "no_price_columns") => "В прайс-листе нет ни одной колонки цен".into(),
        (Lang::En, "no_price_columns") => "The price list has no price columns".into(),
        (Lang::Ru, "quantity_not_positive") => format!("Строка {}: количество должно быть больше нуля", param("line")),
        (Lang::En, "quantity_not_positive") => format!("Line {}: the quantity must be above zero", param("line")),
        (Lang::Ru, "invalid_quantity") => {
            format!(
                "Строка {}: количество — число с не более чем тремя знаками после запятой",
                param("line")
            )
        }
        (Lang::En, "invalid_quantity") => {
            format!(
                "Line {}: the quantity is a number with at most three decimals",
                param("line")
            )
        }
        (Lang::Ru, "invalid_discount") => {
            "Скидка — процент от 0 до 100 с не более чем двумя знаками после запятой".into()
        }
        (Lang::En, "invalid_discount") => "A discount is a percentage from 0 to 100 with at most two decimals".into(),
        (Lang::Ru, "invalid_vat_category") => "Ставка НДС товара: standard, reduced, zero или none".into(),
        (Lang::En, "invalid_vat_category") => "The product's VAT category: standard, reduced, zero or none".into(),
        (Lang::Ru, "invalid_vat_rate") => "Ставка НДС: целое число процентов или «none»".into(),
        (Lang::En, "invalid_vat_rate") => "A VAT rate is a whole percentage or \"none\"".into(),
        (Lang::Ru, "duplicate_vat_period") => "Две ставки одной категории начинаются в один день".into(),
        (Lang::En, "duplicate_vat_period") => "Two rates of one category start on the same day".into(),
        (Lang::Ru, "missing_vat_category") => "Для каждой категории НДС нужна хотя бы одна ставка".into(),
        (Lang::En, "missing_vat_category") => "Every VAT category needs at least one rate".into(),
        (Lang::Ru, "period_reversed") => "Дата окончания раньше даты начала".into(),
        (Lang::En, "period_reversed") => "The end date is before the start date".into(),
        (Lang::Ru, "in_the_past") => format!("Поле «{}»: дата уже прошла", e.field),
        (Lang::En, "in_the_past") => format!("Field \"{}\": the date has passed", e.field),
        (Lang::Ru, "too_far") => format!("Поле «{}»: не дальше чем на год вперёд", e.field),
        (Lang::En, "too_far") => format!("Field \"{}\": at most a year ahead", e.field),
        (Lang::Ru, "too_many") => format!("Слишком много строк: не больше {}", param("max")),
        (Lang::En, "too_many") => format!("Too many lines: at most {}", param("max")),
        (Lang::Ru, "invalid_promotion_kind") => "Вид акции: discount (скидка) или bonus (бонусы)".into(),
        (Lang::En, "invalid_promotion_kind") => "Promotion kind: discount or bonus".into(),
        (Lang::Ru, "invalid_offer_status") => "Неизвестный статус предложения".into(),
        (Lang::En, "invalid_offer_status") => "Unknown offer status".into(),
        (Lang::Ru, "invalid_vat_mode") => "НДС: included (в том числе) или on_top (сверху)".into(),
        (Lang::En, "invalid_vat_mode") => "VAT mode: included or on_top".into(),
        (Lang::Ru, "invalid_rounding") => "Округление: per_line или per_document".into(),
        (Lang::En, "invalid_rounding") => "Rounding: per_line or per_document".into(),
        // --- orders, receivables, bank statements ---
        (Lang::Ru, "order_transition_not_allowed") => {
            format!(
                "Заказ в статусе «{}»: действие «{}» недоступно",
                param("from"),
                param("action")
            )
        }
        (Lang::En, "order_transition_not_allowed") => {
            format!(
                "The order is {}: \"{}\" is not possible",
                param("from"),
                param("action")
            )
        }
        (Lang::Ru, "order_not_editable") => "Заказ уже передан в работу: строки менять нельзя".into(),
        (Lang::En, "order_not_editable") => "The order has been submitted: its lines can no longer change".into(),
        (Lang::Ru, "order_not_on_hold") => "Заказ не ждёт решения по кредиту".into(),
        (Lang::En, "order_not_on_hold") => "The order is not waiting for a credit decision".into(),
        (Lang::Ru, "order_partly_shipped") => "Часть заказа отгружена: отмените остаток отказом".into(),
        (Lang::En, "order_partly_shipped") => "Part of the order has shipped: refuse the rest instead".into(),
        (Lang::Ru, "order_not_shippable") => format!("Заказ в статусе «{}» отгружать нельзя", param("status")),
        (Lang::En, "order_not_shippable") => format!("An order that is {} cannot be shipped", param("status")),
        (Lang::Ru, "nothing_to_ship") => "Всё по заказу уже отгружено".into(),
        (Lang::En, "nothing_to_ship") => "Everything on the order has shipped".into(),
        (Lang::Ru, "unknown_order_line") => format!("Строка {}: такой строки в заказе нет", param("line")),
        (Lang::En, "unknown_order_line") => format!("Line {}: the order has no such line", param("line")),
        (Lang::Ru, "must_be_positive") => format!("Поле «{}»: значение должно быть больше нуля", e.field),
        (Lang::En, "must_be_positive") => format!("Field \"{}\": the value must be above zero", e.field),
        (Lang::Ru, "over_ordered") => format!(
            "Строка {}: больше заказанного, осталось {}",
            param("line"),
            param("left")
        ),
        (Lang::En, "over_ordered") => format!("Line {}: more than ordered, {} left", param("line"), param("left")),
        (Lang::Ru, "date_in_future") => format!("Поле «{}»: дата ещё не наступила", e.field),
        (Lang::En, "date_in_future") => format!("Field \"{}\": the date is in the future", e.field),
        (Lang::Ru, "before_shipment") => "Дата раньше даты отгрузки".into(),
        (Lang::En, "before_shipment") => "The date is before the shipment".into(),
        (Lang::Ru, "already_delivered") => "Отгрузка уже отмечена доставленной".into(),
        (Lang::En, "already_delivered") => "The shipment is already marked delivered".into(),
        (Lang::Ru, "already_invoiced") => "По этой отгрузке счёт уже выставлен".into(),
        (Lang::En, "already_invoiced") => "This shipment is already invoiced".into(),
        (Lang::Ru, "not_for_refusal") => "Отказ относится к неотгруженному товару: отгрузку не указывают".into(),
        (Lang::En, "not_for_refusal") => "A refusal is of goods not shipped: give no shipment".into(),
        (Lang::Ru, "not_of_this_order") => "Эта отгрузка относится к другому заказу".into(),
        (Lang::En, "not_of_this_order") => "This shipment belongs to another order".into(),
        (Lang::Ru, "order_not_taken") => "Заказ ещё не принят: отказываться не от чего".into(),
        (Lang::En, "order_not_taken") => "The order has not been taken yet: nothing to refuse".into(),
        (Lang::Ru, "required_for_other") => "Для причины «Другое» опишите её в комментарии".into(),
        (Lang::En, "required_for_other") => "For the reason \"other\" describe it in the comment".into(),
        (Lang::Ru, "not_in_shipment") => format!("Строка {}: этого товара нет в отгрузке", param("line")),
        (Lang::En, "not_in_shipment") => format!("Line {}: the shipment has no such goods", param("line")),
        (Lang::Ru, "over_shipped") => format!("Строка {}: больше, чем отгружено", param("line")),
        (Lang::En, "over_shipped") => format!("Line {}: more than was shipped", param("line")),
        (Lang::Ru, "over_unshipped") => format!("Строка {}: больше, чем осталось отгрузить", param("line")),
        (Lang::En, "over_unshipped") => format!("Line {}: more than is left to ship", param("line")),
        (Lang::Ru, "act_decided") => "По акту уже принято решение".into(),
        (Lang::En, "act_decided") => "The act has already been decided".into(),
        (Lang::Ru, "counterparty_archived") => "Клиент в архиве: заказы на него не принимаются".into(),
        (Lang::En, "counterparty_archived") => "The client is archived: no orders for it".into(),
        (Lang::Ru, "invalid_order_status") => format!("Неизвестный статус заказа «{}»", param("value")),
        (Lang::En, "invalid_order_status") => format!("Unknown order status \"{}\"", param("value")),
        (Lang::Ru, "invalid_order_action") => "Действие: start_fulfilment, cancel или reopen".into(),
        (Lang::En, "invalid_order_action") => "Action: start_fulfilment, cancel or reopen".into(),
        (Lang::Ru, "invalid_return_kind") => "Вид: return (возврат) или refusal (отказ)".into(),
        (Lang::En, "invalid_return_kind") => "Kind: return or refusal".into(),
        (Lang::Ru, "invalid_return_reason") => format!("Неизвестная причина возврата «{}»", param("value")),
        (Lang::En, "invalid_return_reason") => format!("Unknown return reason \"{}\"", param("value")),
        (Lang::Ru, "invalid_discrepancy_kind") => "Вид акта: shortage (недостача) или misgrading (пересортица)".into(),
        (Lang::En, "invalid_discrepancy_kind") => "Act kind: shortage or misgrading".into(),
        (Lang::Ru, "invalid_collection_stage") => "Этап: reminder, letter, claim, court или closed".into(),
        (Lang::En, "invalid_collection_stage") => "Stage: reminder, letter, claim, court or closed".into(),
        (Lang::Ru, "invalid_deferral_kind") => "Отсрочка: calendar (календарные дни) или banking (банковские)".into(),
        (Lang::En, "invalid_deferral_kind") => "Deferral: calendar or banking days".into(),
        (Lang::Ru, "credit_terms_reserved") => match e.param("column") {
            Some(c) => format!(
                "Столбец «{c}»: кредитный лимит и отсрочку устанавливают кредитный контролёр, руководитель отдела \
                 или коммерческий директор — уберите его из файла"
            ),
            None => format!(
                "Поле «{}»: кредитный лимит и отсрочку устанавливают кредитный контролёр, руководитель отдела \
                 или коммерческий директор",
                e.field
            ),
        },
        (Lang::En, "credit_terms_reserved") => match e.param("column") {
            Some(c) => format!(
                "Column \"{c}\": the credit limit and payment terms are set by the credit controller, the head of \
                 department or the commercial director; remove it from the file"
            ),
            None => format!(
                "\"{}\": the credit limit and payment terms are set by the credit controller, the head of department \
                 or the commercial director",
                e.field
            ),
        },
        (Lang::Ru, "invalid_percent") => format!("Поле «{}»: процент указан неверно{}", e.field, reason_ru(reason)),
        (Lang::En, "invalid_percent") => format!("\"{}\": the percentage is invalid{}", e.field, reason_en(reason)),
        (Lang::Ru, "cap_without_penalty") => "Предел неустойки указан без ставки неустойки".into(),
        (Lang::En, "cap_without_penalty") => "A penalty cap needs a daily penalty rate".into(),
        (Lang::Ru, "payment_fully_allocated") => "Платёж уже полностью разнесён".into(),
        (Lang::En, "payment_fully_allocated") => "The payment is fully allocated".into(),
        (Lang::Ru, "allocation_conflict") => {
            "Пока вы разносили платёж, счёт или платёж изменился: обновите и повторите".into()
        }
        (Lang::En, "allocation_conflict") => {
            "The invoice or payment changed while you allocated: reload and try again".into()
        }
        (Lang::Ru, "allocation_not_positive") => "Сумма разнесения должна быть больше нуля".into(),
        (Lang::En, "allocation_not_positive") => "An allocated amount must be above zero".into(),
        (Lang::Ru, "allocation_unknown_invoice") => "Счёт не найден среди открытых счетов клиента".into(),
        (Lang::En, "allocation_unknown_invoice") => "The invoice is not among the client's open invoices".into(),
        (Lang::Ru, "allocation_exceeds_invoice") => format!("Больше, чем осталось по счёту ({} ₽)", param("open")),
        (Lang::En, "allocation_exceeds_invoice") => format!("More than is open on the invoice ({})", param("open")),
        (Lang::Ru, "allocation_exceeds_payment") => "Разнесено больше суммы платежа".into(),
        (Lang::En, "allocation_exceeds_payment") => "More allocated than the payment".into(),
        (Lang::Ru, "allocation_duplicate") => "Один счёт указан дважды".into(),
        (Lang::En, "allocation_duplicate") => "The same invoice is given twice".into(),
        (Lang::Ru, "over_open_amount") => format!("Больше открытого остатка по счёту ({} ₽)", param("open")),
        (Lang::En, "over_open_amount") => format!("More than the invoice's open amount ({})", param("open")),
        (Lang::Ru, "no_overdue_debt") => "У клиента нет просроченной задолженности".into(),
        (Lang::En, "no_overdue_debt") => "The client has no overdue debt".into(),
        (Lang::Ru, "case_already_open") => "По клиенту уже идёт взыскание".into(),
        (Lang::En, "case_already_open") => "A collection case is already open for this client".into(),
        (Lang::Ru, "stage_not_allowed") => format!("С этапа «{}» нельзя перейти на «{}»", param("from"), param("to")),
        (Lang::En, "stage_not_allowed") => format!("Cannot go from \"{}\" to \"{}\"", param("from"), param("to")),
        (Lang::Ru, "claim_term_running") => {
            format!("Претензионный срок не истёк: иск можно подать с {}", param("suit_from"))
        }
        (Lang::En, "claim_term_running") => {
            format!(
                "The pre-trial term is running: a suit may be filed from {}",
                param("suit_from")
            )
        }
        (Lang::Ru, "required_to_close") => "Опишите итог, чтобы закрыть дело".into(),
        (Lang::En, "required_to_close") => "Describe the outcome to close the case".into(),
        (Lang::Ru, "after_to") => "Начало периода позже его конца".into(),
        (Lang::En, "after_to") => "The period starts after it ends".into(),
        (Lang::Ru, "before_invoice") => "Дата раньше даты счёта".into(),
        (Lang::En, "before_invoice") => "The date is before the invoice".into(),
        (Lang::Ru, "duplicate_date") => "Две ставки с одной датой".into(),
        (Lang::En, "duplicate_date") => "Two rates on the same date".into(),
        (Lang::Ru, "rate_out_of_range") => "Ставка — от 0 до 100 %".into(),
        (Lang::En, "rate_out_of_range") => "A rate is from 0 to 100 %".into(),
        (Lang::Ru, "invalid_value") => format!("Поле «{}»: недопустимое значение «{}»", e.field, param("value")),
        (Lang::En, "invalid_value") => format!("Field \"{}\": invalid value \"{}\"", e.field, param("value")),
        (Lang::Ru, "unknown_counterparty") => "Такого клиента нет".into(),
        (Lang::En, "unknown_counterparty") => "No such client".into(),
        (Lang::Ru, "not_1c_exchange") => format!(
            "Строка {}: это не выписка 1С, первая строка должна быть «1CClientBankExchange»",
            param("line")
        ),
        (Lang::En, "not_1c_exchange") => format!(
            "Line {}: not a 1C statement, the first line must be \"1CClientBankExchange\"",
            param("line")
        ),
        (Lang::Ru, "missing_end_of_file") => format!("Строка {}: файл не заканчивается «КонецФайла»", param("line")),
        (Lang::En, "missing_end_of_file") => {
            format!("Line {}: the file does not end with \"КонецФайла\"", param("line"))
        }
        (Lang::Ru, "section_not_closed") => format!("Строка {}: секция не закрыта", param("line")),
        (Lang::En, "section_not_closed") => format!("Line {}: the section is not closed", param("line")),
        (Lang::Ru, "bad_date") => format!("Строка {}: дата не в формате ДД.ММ.ГГГГ", param("line")),
        (Lang::En, "bad_date") => format!("Line {}: the date is not DD.MM.YYYY", param("line")),
        (Lang::Ru, "bad_amount") => format!("Строка {}: неверная сумма", param("line")),
        (Lang::En, "bad_amount") => format!("Line {}: bad amount", param("line")),
        (Lang::Ru, "bad_encoding") => {
            format!(
                "Строка {}: неверная кодировка (ожидается Windows-1251, DOS или UTF-8)",
                param("line")
            )
        }
        (Lang::En, "bad_encoding") => {
            format!(
                "Line {}: wrong encoding (Windows-1251, DOS or UTF-8 expected)",
                param("line")
            )
        }
        (Lang::Ru, "missing_field") => format!(
            "Строка {}: не хватает обязательного поля ({})",
            param("line"),
            param("detail")
        ),
        (Lang::En, "missing_field") => format!(
            "Line {}: a required field is missing ({})",
            param("line"),
            param("detail")
        ),
        (Lang::Ru, "unexpected_line") => format!("Строка {}: строка не по формату «Ключ=Значение»", param("line")),
        (Lang::En, "unexpected_line") => format!("Line {}: not a \"Key=Value\" line", param("line")),
        (Lang::Ru, "balance_mismatch") => {
            format!(
                "Строка {}: остатки не сходятся (начальный + поступления − списания ≠ конечный)",
                param("line")
            )
        }
        (Lang::En, "balance_mismatch") => {
            format!(
                "Line {}: balances do not add up (opening + in − out ≠ closing)",
                param("line")
            )
        }
        (Lang::Ru, "too_many_documents") => format!("Слишком много документов в выписке: не больше {}", param("max")),
        (Lang::En, "too_many_documents") => format!("Too many documents in the statement: at most {}", param("max")),
        (Lang::Ru, "no_account") => "В выписке не указан наш расчётный счёт".into(),
        (Lang::En, "no_account") => "The statement does not name our account".into(),
        (Lang::Ru, "document_of_another_account") => {
            format!("Строка {}: документ не относится к счетам выписки", param("line"))
        }
        (Lang::En, "document_of_another_account") => {
            format!(
                "Line {}: the document is not of the statement's accounts",
                param("line")
            )
        }
        (Lang::Ru, "statement_conflict") => {
            "Пока шла загрузка, счета клиентов изменились: загрузите выписку ещё раз".into()
        }
        (Lang::En, "statement_conflict") => "Invoices changed during the import: import the statement again".into(),
        (Lang::Ru, "doc_already_resolved") => "Этот платёж уже разобран".into(),
        (Lang::En, "doc_already_resolved") => "This payment has already been resolved".into(),
        (Lang::Ru, "payment_already_booked") => "Платёж уже проведён по клиенту: разнесите его".into(),
        (Lang::En, "payment_already_booked") => "The payment is booked to a client: allocate it instead".into(),
        (Lang::Ru, _) => format!("Поле «{}»: недопустимое значение ({})", e.field, e.code),
        (Lang::En, _) => format!("Field \"{}\": invalid value ({})", e.field, e.code),
    }
}

/// A reason of "whom to contact now" in words.
pub fn reason_message(lang: Lang, r: &prospekt_domain::contact_plan::Reason) -> String {
    let p = |k: &str| {
        r.params
            .iter()
            .find(|(key, _)| *key == k)
            .map_or("", |(_, v)| v.as_str())
    };
    let n = |k: &str| p(k).parse::<u64>().unwrap_or(0);
    let days_ru = |k: &str| format!("{} {}", n(k), plural_ru(n(k), "день", "дня", "дней"));
    // Dates in Russian messages as people write them: 05.12.2026.
    let date_ru = |k: &str| {
        chrono::NaiveDate::parse_from_str(p(k), "%Y-%m-%d")
            .map(|d| d.format("%d.%m.%Y").to_string())
            .unwrap_or_else(|_| p(k).to_owned())
    };
    let money = |k: &str| {
        p(k).parse::<prospekt_domain::money::Money>()
            .map(|m| m.format_ru())
            .unwrap_or_default()
    };
    match (lang, r.code) {
        (Lang::Ru, "contact_overdue") => format!(
            "Не было контакта {} (норма — раз в {})",
            days_ru("days"),
            days_ru("every")
        ),
        (Lang::En, "contact_overdue") => format!("No contact for {} days (rule: every {})", p("days"), p("every")),
        (Lang::Ru, "never_contacted") => format!(
            "Ни одного контакта за {} (норма — раз в {})",
            days_ru("days"),
            days_ru("every")
        ),
        (Lang::En, "never_contacted") => format!("Never contacted in {} days (rule: every {})", p("days"), p("every")),
        (Lang::Ru, "contact_due_soon") => format!("Скоро срок контакта: прошло {} из {}", days_ru("days"), n("every")),
        (Lang::En, "contact_due_soon") => format!("Contact due soon: {} of {} days passed", p("days"), p("every")),
        (Lang::Ru, "visit_overdue") => format!(
            "Не было визита {} (норма — раз в {})",
            days_ru("days"),
            days_ru("every")
        ),
        (Lang::En, "visit_overdue") => format!("No visit for {} days (rule: every {})", p("days"), p("every")),
        (Lang::Ru, "valuable") => format!("{}; оборот за год {} ₽", label(lang, p("tier")), money("turnover")),
        (Lang::En, "valuable") => format!(
            "{}; turnover over 12 months {} RUB",
            label(lang, p("tier")),
            p("turnover")
        ),
        (Lang::Ru, "overdue_debt") => format!("Просроченный долг {} ₽, {}", money("amount"), days_ru("days")),
        (Lang::En, "overdue_debt") => format!("Overdue debt {} RUB, {} days", p("amount"), p("days")),
        (Lang::Ru, "deal_closing") => format!(
            "Сделка должна закрыться {} (через {})",
            date_ru("date"),
            days_ru("days")
        ),
        (Lang::En, "deal_closing") => format!("Deal due to close on {} (in {} days)", p("date"), p("days")),
        (Lang::Ru, "offer_expiring") => format!("КП действует до {} (осталось {})", date_ru("date"), days_ru("days")),
        (Lang::En, "offer_expiring") => format!("Offer valid until {} ({} days left)", p("date"), p("days")),
        (Lang::Ru, "contract_expiring") => format!("Договор истекает {} (через {})", date_ru("date"), days_ru("days")),
        (Lang::En, "contract_expiring") => format!("Contract ends on {} (in {} days)", p("date"), p("days")),
        (Lang::Ru, "order_drop") => format!(
            "Заказов нет {}, обычно заказывает раз в {}",
            days_ru("days"),
            days_ru("usual_days")
        ),
        (Lang::En, "order_drop") => format!(
            "No order for {} days; usually every {} days",
            p("days"),
            p("usual_days")
        ),
        (Lang::Ru, "already_planned") => format!("Контакт уже запланирован на {}", date_ru("date")),
        (Lang::En, "already_planned") => format!("Contact already planned for {}", p("date")),
        (_, other) => other.to_owned(),
    }
}

fn reason_ru(reason: &str) -> &'static str {
    match reason {
        "length" => ": неверная длина",
        "checksum" => ": не сходится контрольное число",
        "characters" => ": допустимы только цифры",
        "all_zeros" => ": номер из одних нулей",
        "sign" => ": неверный первый знак",
        "prefix" => ": неверное начало номера",
        "wrong_bank" => ": счёт другого банка",
        "kind_mismatch" => ": длина не соответствует виду контрагента (10 цифр у юрлица, 12 у ИП и физлица)",
        "decimals" => ": слишком много знаков после запятой",
        "format" => ": неверная запись числа",
        _ => "",
    }
}

fn reason_en(reason: &str) -> &'static str {
    match reason {
        "length" => ": wrong length",
        "checksum" => ": the check digit does not match",
        "characters" => ": only digits are allowed",
        "all_zeros" => ": all zeros",
        "sign" => ": wrong first digit",
        "prefix" => ": wrong leading digits",
        "wrong_bank" => ": the account belongs to another bank",
        "kind_mismatch" => {
            ": the length does not match the kind (10 digits for a legal entity, 12 for a sole proprietor or person)"
        }
        "decimals" => ": too many decimal places",
        "format" => ": not a number",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals_follow_the_one_few_many_rule() {
        let f = |n| plural_ru(n, "сделка", "сделки", "сделок");
        assert_eq!(
            [f(1), f(2), f(5), f(11), f(21), f(22), f(112)],
            ["сделка", "сделки", "сделок", "сделок", "сделка", "сделки", "сделок"]
        );
    }

    #[test]
    fn accept_language_respects_weights() {
        assert_eq!(Lang::from_accept_language("de, en;q=0.9, ru;q=0.8"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("ru-RU,ru;q=0.9,en-US;q=0.8"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("en;q=0.5, ru"), Some(Lang::Ru));
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn inn_errors_name_the_reason_in_both_languages() {
        let e = FieldError::new("inn", "invalid_inn").with("reason", "checksum");
        assert!(field_error_message(Lang::Ru, &e).contains("контрольное число"));
        assert!(field_error_message(Lang::En, &e).contains("check digit"));
    }
}
