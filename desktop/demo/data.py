"""Word lists the demo commune is made of (fictional people, plausible places), and its accounts."""

# Demo accounts: (username, password, role, Arabic name, French name)
ACCOUNTS = [
    ("admin", "admin-demo", "administrator", "مدير النظام", "Administrateur"),
    ("coordinateur", "coord-demo", "coordinator", "منسق الفريق", "Coordinateur"),
    ("president", "president-demo", "president", "عبد الرحيم الإدريسي", "Abderrahim El Idrissi"),
    ("gouverneur", "revue-demo", "reviewer", "مصالح العامل", "Services du gouverneur"),
]
OFFICER_PASSWORD = "agent-demo"

FIRST_NAMES = [
    ("محمد", "Mohamed"), ("أحمد", "Ahmed"), ("يوسف", "Youssef"), ("عبد الله", "Abdellah"),
    ("خالد", "Khalid"), ("رشيد", "Rachid"), ("سعيد", "Said"), ("حسن", "Hassan"), ("كريم", "Karim"),
    ("إدريس", "Driss"), ("مصطفى", "Mustapha"), ("عمر", "Omar"), ("أنس", "Anas"), ("هشام", "Hicham"),
    ("فاطمة", "Fatima"), ("خديجة", "Khadija"), ("مريم", "Meryem"), ("سناء", "Sanaa"), ("نادية", "Nadia"),
    ("ليلى", "Laila"), ("حنان", "Hanane"), ("زينب", "Zineb"), ("سلمى", "Salma"), ("إيمان", "Imane"),
]
FAMILY_NAMES = [
    ("العلوي", "Alaoui"), ("الإدريسي", "Idrissi"), ("بناني", "Bennani"), ("التازي", "Tazi"),
    ("الفاسي", "Fassi"), ("برادة", "Berrada"), ("الشرقاوي", "Cherkaoui"), ("الزياني", "Ziani"),
    ("المنصوري", "Mansouri"), ("الحسني", "Hassani"), ("الرحماني", "Rahmani"), ("بوزيد", "Bouzid"),
    ("الأمراني", "Amrani"), ("السباعي", "Sbai"), ("القادري", "Kadiri"), ("الوزاني", "Ouazzani"),
    ("الكتاني", "Kettani"), ("بنجلون", "Benjelloun"), ("العمراني", "Omrani"), ("الصقلي", "Sekkali"),
]
STREETS = [
    "شارع محمد الخامس", "شارع الزرقطوني", "شارع أنفا", "شارع الحسن الثاني", "شارع عبد المومن",
    "شارع الفداء", "شارع محمد السادس", "شارع إبراهيم الروداني", "زنقة الأمير مولاي عبد الله",
    "شارع الجيش الملكي", "شارع غاندي", "شارع القدس", "شارع أبي شعيب الدكالي", "شارع عقبة بن نافع",
    "زنقة طرفاية", "شارع الشفشاوني", "شارع إدريس الحارثي", "زنقة الزبير بن العوام",
]
# Kinds of site per police field: (site kind, Arabic prefix, activity in French)
SITE_TYPES = {
    "hygiene": [("establishment", "مطعم", "restaurant"), ("establishment", "مقهى", "café"),
                ("establishment", "مخبزة", "boulangerie"), ("establishment", "مجزرة", "boucherie"),
                ("establishment", "محلبة", "crémerie"), ("establishment", "بقالة", "épicerie"),
                ("establishment", "محل للوجبات السريعة", "snack"), ("establishment", "حمام", "hammam")],
    "public_domain": [("establishment", "مقهى", "café-terrasse"), ("public_spot", "كشك", "kiosque"),
                      ("establishment", "محل تجاري", "commerce"), ("public_spot", "عربة", "étal mobile"),
                      ("establishment", "مطعم", "restaurant-terrasse")],
    "urbanism": [("building_site", "ورش بناء", "chantier"), ("building", "عمارة", "immeuble"),
                 ("building", "منزل", "maison")],
    "other": [("establishment", "محل", "commerce"), ("public_spot", "ساحة", "place publique"),
              ("building", "بناية", "bâtiment")],
}
SITE_NAMES = ["الأمل", "النجاح", "السلام", "الفتح", "الأندلس", "النخيل", "الأطلس", "الياسمين",
              "المدينة", "الريان", "البركة", "الوحدة", "النور", "الهدى", "الرياض", "الزهور",
              "Atlas", "Le Palmier", "La Corniche", "Al Baraka", "Le Jardin", "Marhaba"]
OWN_INITIATIVE_REASONS = [
    "روائح كريهة لوحظت أثناء المرور بالشارع", "طاولات تعرقل ممر الراجلين لوحظت أثناء الدورية",
    "أشغال بناء جارية دون لوحة ورش", "Dépôt de gravats constaté lors d'une tournée",
    "Terrasse étendue constatée en patrouille du soir",
]
NOTES = ["", "", "", "صاحب المحل كان حاضرا", "Gérant présent, coopératif", "تمت التوعية شفهيا",
         "Photos prises de la façade", "المحل مغلق وقت الزيارة"]
