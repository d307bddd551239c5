; Inno Setup 6 script of the Windows installer: dist\commune-police-<version>-setup.exe
; from the PyInstaller bundle dist\commune-police\ (installer/commune-police.spec, built on Windows).
;
;   iscc /DAppVersion=0.1.0 installer\windows\commune-police.iss
;   iscc /DAppVersion=0.1.0 "/DSignTool=signtool" installer\windows\commune-police.iss
;
; Signing: with /DSignTool=NAME the installer and its uninstaller are signed by the sign tool
; NAME, defined in the compiler (iscc "/Ssigntool=signtool.exe sign /f cert.pfx /p ... /fd sha256
; /tr http://timestamp... /td sha256 $f"); the workflow .github/workflows/windows-installer.yml
; does this when the repository holds a certificate. Without it the installer is built unsigned.
;
; Saved as UTF-8 with a byte-order mark, as Inno Setup needs for the Arabic texts.
; Set-up screens in Arabic (right to left) and French; Windows' own language picks the first one
; shown, and the language dialog lets the person choose.
;
; Updates keep the commune's data: the program goes to Program Files and is replaced whole; the
; database, settings, certificates and logs live in the user's %LOCALAPPDATA%\commune-police,
; which neither an update nor the uninstaller touches. The application itself copies an older
; database before migrating it and refuses one written by a newer version.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Commune Police"
#define AppExe "commune-police.exe"
#define Root "..\.."

[Setup]
; Never change AppId: Windows recognises an update of the same application by it.
AppId={{6C1D7E0A-4F7B-4C8E-9B7E-2A4E1C3F9D52}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Commune Police
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\Commune Police
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; For all users by default (the commune's IT person installs it); a user without administrator
; rights may still install it for themselves.
PrivilegesRequired=admin
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#Root}\dist
OutputBaseFilename=commune-police-{#AppVersion}-setup
SetupIconFile={#Root}\build\icons\commune-police.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ShowLanguageDialog=yes
LicenseFile={#Root}\NOTICE
CloseApplications=yes
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Languages]
; Arabic.isl ships with Inno Setup 6 (Languages\); the workflow checks it is there.
Name: "arabic"; MessagesFile: "compiler:Languages\Arabic.isl"
Name: "french"; MessagesFile: "compiler:Languages\French.isl"

[CustomMessages]
arabic.AppName=الشرطة الإدارية الجماعية
french.AppName=Police administrative communale
arabic.DesktopIcon=إنشاء اختصار على سطح المكتب
french.DesktopIcon=Créer un raccourci sur le bureau
arabic.Launch=تشغيل البرنامج الآن
french.Launch=Lancer l'application maintenant

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopIcon}"; Flags: unchecked

[InstallDelete]
; An update replaces the program whole: no library of the previous version is left behind.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#Root}\dist\commune-police\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
Source: "{#Root}\NOTICE"; DestDir: "{app}"; DestName: "NOTICE.txt"; Flags: ignoreversion

[Icons]
Name: "{autoprograms}\{cm:AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{cm:AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:Launch}"; Flags: nowait postinstall skipifsilent

[Messages]
arabic.FinishedLabel=اكتمل تثبيت [name] على هذا الحاسوب.%n%nتبقى معطيات الجماعة (القاعدة، الإعدادات، الشهادات) في مجلد المستخدم، ولا يمسها التحديث ولا إلغاء التثبيت.
french.FinishedLabel=L'installation de [name] sur cet ordinateur est terminée.%n%nLes données de la commune (base, réglages, certificats) restent dans le dossier de l'utilisateur : ni la mise à jour ni la désinstallation n'y touchent.
