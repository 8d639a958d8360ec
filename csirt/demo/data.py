"""The demo province (Lào Cai) as plain data; `csirt.demo.load()` turns it into records.

Everything here is fictitious: people, phone numbers and incidents are invented. E-mail
addresses use the reserved `.example` domain so no demo address can reach a real mailbox, and
servers use loopback addresses (127.0.10.x) so a scheduled check of demo data never leaves the
machine.
"""

EMAIL_DOMAIN = "laocai.example"

# code, name, kind, phone, address
AGENCIES = (
    ("CSIRT", "Trung tâm Công nghệ thông tin và Truyền thông (đơn vị chuyên trách ATTT)",
     "dedicated_unit", "0214 3840 101", "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("STTTT", "Sở Thông tin và Truyền thông", "department", "0214 3840 100",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("VPUBND", "Văn phòng UBND tỉnh", "department", "0214 3840 001",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("STC", "Sở Tài chính", "department", "0214 3840 210",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("SYT", "Sở Y tế", "department", "0214 3840 320",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "department", "0214 3840 430",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", "department", "0214 3840 540",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("STNMT", "Sở Tài nguyên và Môi trường", "department", "0214 3840 650",
     "Trung tâm hành chính tỉnh, phường Nam Cường, thành phố Lào Cai"),
    ("TPLC", "UBND thành phố Lào Cai", "district", "0214 3820 100", "Phường Cốc Lếu, thành phố Lào Cai"),
    ("BATXAT", "UBND huyện Bát Xát", "district", "0214 3883 100", "Thị trấn Bát Xát, huyện Bát Xát"),
    ("SAPA", "UBND thị xã Sa Pa", "district", "0214 3871 100", "Thị xã Sa Pa, tỉnh Lào Cai"),
    ("BACHA", "UBND huyện Bắc Hà", "district", "0214 3880 100", "Thị trấn Bắc Hà, huyện Bắc Hà"),
    ("BAOTHANG", "UBND huyện Bảo Thắng", "district", "0214 3862 100", "Thị trấn Phố Lu, huyện Bảo Thắng"),
    ("BAOYEN", "UBND huyện Bảo Yên", "district", "0214 3876 100", "Thị trấn Phố Ràng, huyện Bảo Yên"),
    ("VANBAN", "UBND huyện Văn Bàn", "district", "0214 3886 100", "Thị trấn Khánh Yên, huyện Văn Bàn"),
    ("MUONGKHUONG", "UBND huyện Mường Khương", "district", "0214 3881 100",
     "Thị trấn Mường Khương, huyện Mường Khương"),
    ("SIMACAI", "UBND huyện Si Ma Cai", "district", "0214 3796 100", "Xã Si Ma Cai, huyện Si Ma Cai"),
    ("VNPT", "VNPT Lào Cai", "partner", "0214 3800 126", "Phường Cốc Lếu, thành phố Lào Cai"),
    ("VIETTEL", "Viettel Lào Cai", "partner", "0214 6250 198", "Phường Bắc Lệnh, thành phố Lào Cai"),
    ("FPT", "FPT Telecom – Chi nhánh Lào Cai", "partner", "0214 7300 668", "Phường Kim Tân, thành phố Lào Cai"),
)

# full name, agency code, role, job title, skills, certifications
_LIAISON = "Đầu mối ứng cứu sự cố của đơn vị"
MEMBERS = (
    # managers
    ("Hoàng Minh Tuấn", "CSIRT", "manager", "Giám đốc Trung tâm, Đội trưởng Đội ứng cứu sự cố",
     "Quản lý an toàn thông tin, điều phối ứng cứu", "ISO/IEC 27001 Lead Auditor, CISSP"),
    ("Vũ Thị Thu Hà", "STTTT", "manager", "Phó Giám đốc Sở, Phó Trưởng Ban chỉ đạo ATTT",
     "Quản lý nhà nước về ATTT, xây dựng kế hoạch ứng phó", "ISO/IEC 27001 Lead Implementer"),
    # coordinators
    ("Nguyễn Đức Thắng", "CSIRT", "coordinator", "Trưởng phòng An toàn thông tin",
     "Điều phối ứng cứu, phân tích log, SIEM", "CEH, Security+"),
    ("Phạm Thị Lan", "CSIRT", "coordinator", "Phó Trưởng phòng An toàn thông tin",
     "Điều phối ứng cứu, báo cáo sự cố, diễn tập", "CompTIA CySA+, ISO/IEC 27001 Foundation"),
    ("Trần Quốc Khánh", "CSIRT", "coordinator", "Chuyên viên điều phối trực 24/7",
     "Giám sát SOC, phân loại cảnh báo", "Security+, CCNA"),
    ("Lê Thị Hồng Nhung", "STTTT", "coordinator", "Phó Trưởng phòng Bưu chính, Viễn thông và CNTT",
     "Điều phối với doanh nghiệp viễn thông, báo cáo Bộ", "Chứng chỉ quản lý ATTT (NCSC)"),
    # responders
    ("Đỗ Văn Hùng", "CSIRT", "responder", "Kỹ sư an toàn thông tin",
     "Phân tích mã độc, dịch ngược", "GREM, CEH"),
    ("Bùi Thanh Sơn", "CSIRT", "responder", "Kỹ sư an toàn thông tin",
     "Điều tra số, thu thập chứng cứ", "GCFA, Security+"),
    ("Đặng Minh Quang", "CSIRT", "responder", "Kỹ sư hệ thống",
     "Quản trị máy chủ Linux/Windows, ảo hóa VMware", "VCP-DCV, RHCSA"),
    ("Ngô Thị Mai", "CSIRT", "responder", "Kỹ sư an toàn ứng dụng web",
     "Kiểm thử xâm nhập ứng dụng web, rà soát mã nguồn", "OSCP, CEH"),
    ("Vương Đức Anh", "STTTT", "responder", "Chuyên viên CNTT",
     "Quản trị mạng, tường lửa FortiGate", "NSE 4, CCNA"),
    ("Lương Văn Toàn", "STTTT", "responder", "Chuyên viên CNTT",
     "Quản trị hệ thống thư điện tử, Active Directory", "MCSA, Security+"),
    ("Trịnh Quang Huy", "VNPT", "responder", "Kỹ sư SOC, Trung tâm Điều hành thông tin",
     "Giám sát an toàn thông tin, SIEM, IDS", "GCIH, CEH"),
    ("Hà Thị Thủy", "VNPT", "responder", "Kỹ sư mạng truyền dẫn",
     "Chống DDoS, định tuyến BGP", "CCNP Security"),
    ("Đinh Văn Long", "VNPT", "responder", "Kỹ sư hệ thống Trung tâm dữ liệu",
     "Sao lưu, khôi phục dữ liệu, Veeam", "VMCE, MCSA"),
    ("Mai Xuân Trường", "VIETTEL", "responder", "Kỹ sư an ninh mạng",
     "Săn tìm mối đe dọa, phân tích mã độc", "CySA+, GCIH"),
    ("Nông Văn Cường", "VIETTEL", "responder", "Kỹ sư an ninh mạng",
     "Ứng cứu sự cố, EDR", "CEH, Security+"),
    ("Phan Tuấn Kiệt", "FPT", "responder", "Kỹ sư bảo mật hệ thống",
     "Kiểm thử xâm nhập, đánh giá lỗ hổng", "OSCP, CompTIA PenTest+"),
    # members: agency liaisons (the first one listed for an agency is its main contact)
    ("Nguyễn Thị Thanh Huyền", "CSIRT", "member", "Chuyên viên tổng hợp, tiếp nhận sự cố",
     "Tiếp nhận, tổng hợp báo cáo", "Chứng chỉ ATTT cơ bản"),
    ("Trần Văn Bình", "STTTT", "member", "Chuyên viên Văn phòng Sở", "Quản trị mạng nội bộ", ""),
    ("Nguyễn Tiến Dũng", "VPUBND", "member", "Trưởng phòng Hành chính – Tổ chức, phụ trách CNTT",
     "Quản trị iOffice, hội nghị truyền hình", "MCSA"),
    ("Hoàng Thị Yến", "VPUBND", "member", "Chuyên viên Cổng thông tin điện tử", "Biên tập cổng thông tin", ""),
    ("Lê Thị Thu Trang", "STC", "member", "Chuyên viên phòng Tin học – Thống kê",
     "Quản trị mạng nội bộ, phần mềm kế toán", "Chứng chỉ ATTT cơ bản"),
    ("Nguyễn Hoàng Nam", "STC", "member", "Kế toán viên", "Sử dụng chữ ký số", ""),
    ("Phạm Văn Đức", "SYT", "member", "Chuyên viên phòng Kế hoạch – Tài chính, phụ trách CNTT",
     "Quản trị phần mềm bệnh viện (HIS)", ""),
    ("Doãn Thị Ngọc Anh", "SYT", "member", "Chuyên viên Văn phòng Sở", "Quản trị website", ""),
    ("Lò Thị Tâm", "SYT", "member", "Kỹ thuật viên CNTT, Trung tâm Kiểm soát bệnh tật",
     "Hỗ trợ người dùng, cài đặt phần mềm diệt virus", ""),
    ("Vũ Thị Hương", "SGDDT", "member", "Chuyên viên phòng Kế hoạch – Tài chính, phụ trách CNTT",
     "Quản trị cơ sở dữ liệu ngành giáo dục", "Chứng chỉ ATTT cơ bản"),
    ("Cao Văn Thành", "SGDDT", "member", "Giáo viên Tin học, Trường THPT số 1 Bảo Thắng",
     "Quản trị phòng máy", "MOS, IC3"),
    ("Lý Thị Mẩy", "SGDDT", "member", "Nhân viên thiết bị, Trường PTDTNT Sa Pa", "Hỗ trợ người dùng", ""),
    ("Hoàng Văn Khoa", "SKHDT", "member", "Chuyên viên Văn phòng Sở", "Quản trị mạng nội bộ", ""),
    ("Dương Văn Khoa", "STNMT", "member", "Chuyên viên Trung tâm Công nghệ thông tin TN&MT",
     "Quản trị cơ sở dữ liệu đất đai, GIS", "MCSA"),
    ("Nguyễn Thị Kim Oanh", "TPLC", "member", "Chuyên viên Văn phòng HĐND-UBND thành phố",
     "Quản trị một cửa điện tử", ""),
    ("Trần Đức Mạnh", "TPLC", "member", "Chuyên viên phòng Văn hóa và Thông tin", "Quản trị camera, mạng LAN", ""),
    ("Hoàng Văn Chiến", "BATXAT", "member", "Chuyên viên phòng Văn hóa và Thông tin",
     "Quản trị cổng thông tin huyện", ""),
    ("Phan Thị Hoa", "BATXAT", "member", "Văn thư Văn phòng HĐND-UBND huyện", "Sử dụng iOffice, chữ ký số", ""),
    ("Tẩn Láo Sử", "SAPA", "member", "Chuyên viên phòng Văn hóa và Thông tin",
     "Quản trị cổng thông tin thị xã", "Chứng chỉ ATTT cơ bản"),
    ("Nguyễn Văn Hiếu", "SAPA", "member", "Chuyên viên Văn phòng HĐND-UBND thị xã", "Quản trị mạng LAN", ""),
    ("Giàng A Páo", "BACHA", "member", "Chuyên viên phòng Văn hóa và Thông tin", "Quản trị mạng LAN", ""),
    ("Lê Văn Phúc", "BAOTHANG", "member", "Chuyên viên phòng Văn hóa và Thông tin",
     "Quản trị cổng thông tin huyện", ""),
    ("Nguyễn Thị Liên", "BAOTHANG", "member", "Cán bộ bộ phận một cửa", "Sử dụng iGate", ""),
    ("Đinh Thị Thảo", "BAOYEN", "member", "Chuyên viên phòng Văn hóa và Thông tin", "Quản trị mạng LAN", ""),
    ("Lò Văn Hải", "VANBAN", "member", "Chuyên viên phòng Văn hóa và Thông tin",
     "Quản trị cổng thông tin huyện", ""),
    ("Vàng Thị Mỷ", "VANBAN", "member", "Văn thư Văn phòng HĐND-UBND huyện", "Sử dụng iOffice", ""),
    ("Lù Văn Sinh", "MUONGKHUONG", "member", "Chuyên viên phòng Văn hóa và Thông tin",
     "Quản trị mạng LAN, cổng thông tin", ""),
    ("Hoàng Thị Xuân", "MUONGKHUONG", "member", "Cán bộ bộ phận một cửa", "Sử dụng iGate", ""),
    ("Sùng A Lử", "SIMACAI", "member", "Chuyên viên phòng Văn hóa và Thông tin", "Quản trị mạng LAN", ""),
    ("Trương Thị Bích Ngọc", "VNPT", "member", "Chuyên viên Phòng Khách hàng tổ chức – Doanh nghiệp",
     "Quản lý hợp đồng dịch vụ CNTT cho cơ quan nhà nước", ""),
    ("Tạ Văn Lâm", "VIETTEL", "member", "Giám đốc khách hàng khối Chính phủ", "Quản lý dịch vụ giám sát ATTT", ""),
    ("Quách Thị Diệu Linh", "FPT", "member", "Chuyên viên chăm sóc khách hàng doanh nghiệp",
     "Quản lý dịch vụ đường truyền", ""),
)

# code, name, level, owner agency, description
SYSTEMS = (
    ("IOFFICE", "Hệ thống quản lý văn bản và điều hành (iOffice)", 3, "STTTT",
     "Quản lý, luân chuyển văn bản điện tử liên thông từ tỉnh đến cấp xã."),
    ("IGATE", "Cổng dịch vụ công và Hệ thống thông tin giải quyết TTHC (iGate)", 3, "VPUBND",
     "Tiếp nhận, giải quyết thủ tục hành chính, kết nối Cổng dịch vụ công quốc gia."),
    ("MAIL", "Hệ thống thư điện tử công vụ tỉnh", 3, "STTTT",
     "Hộp thư công vụ cho cán bộ, công chức, viên chức toàn tỉnh."),
    ("VHC", "Hệ thống hội nghị truyền hình trực tuyến", 2, "VPUBND",
     "Họp trực tuyến từ tỉnh đến huyện, xã."),
    ("PORTAL", "Cổng thông tin điện tử tỉnh Lào Cai", 3, "VPUBND",
     "Cổng thông tin chính thức của UBND tỉnh."),
    ("SUBPORTALS", "Cổng thông tin điện tử thành phần của sở, ngành, huyện", 2, "STTTT",
     "Các trang thông tin thành phần chạy trên nền tảng cổng dùng chung."),
    ("CSDLDC", "Cơ sở dữ liệu dùng chung của tỉnh", 4, "STTTT",
     "Cơ sở dữ liệu dân cư, đất đai, doanh nghiệp dùng chung, phục vụ chính quyền số."),
    ("LGSP", "Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh (LGSP)", 3, "STTTT",
     "Trục kết nối, chia sẻ dữ liệu giữa các hệ thống của tỉnh và với NDXP."),
)

# What a level-approval file records about each system: operator, purpose, classification inputs,
# the approval decision, domains, public addresses and hosting. Domains end in ".example" and the
# public addresses are loopback ones, like the servers': a scheduled check of demo data never
# reaches a real host.
# code: (operator, purpose, information kind, served, decision, decision days ago, approver,
#        domains, public addresses, hosting)
SYSTEM_DETAILS = {
    "IOFFICE": ("Trung tâm CNTT&TT tỉnh", "Điều hành, xử lý văn bản điện tử của các cơ quan nhà nước trong tỉnh.",
                "internal", "internal", "QĐ 1021/QĐ-UBND", 640, "Chủ tịch UBND tỉnh",
                ["ioffice.laocai.example"], ["127.0.20.1"], "Trung tâm dữ liệu tỉnh"),
    "IGATE": ("Trung tâm CNTT&TT tỉnh", "Tiếp nhận và trả kết quả thủ tục hành chính cho người dân, doanh nghiệp.",
              "internal", "public_service", "QĐ 1022/QĐ-UBND", 640, "Chủ tịch UBND tỉnh",
              ["dichvucong.laocai.example"], ["127.0.20.2"], "Trung tâm dữ liệu tỉnh"),
    "MAIL": ("Trung tâm CNTT&TT tỉnh", "Thư điện tử công vụ của cán bộ, công chức, viên chức.",
             "internal", "internal", "QĐ 1023/QĐ-UBND", 640, "Chủ tịch UBND tỉnh",
             ["mail.laocai.example"], ["127.0.20.3"], "Trung tâm dữ liệu tỉnh"),
    "VHC": ("Trung tâm CNTT&TT tỉnh", "Họp trực tuyến giữa tỉnh, huyện và xã.",
            "internal", "internal", "QĐ 88/QĐ-STTTT", 700, "Giám đốc Sở Thông tin và Truyền thông",
            [], [], "Trung tâm dữ liệu tỉnh"),
    "PORTAL": ("Văn phòng UBND tỉnh", "Thông tin chính thức của chính quyền tỉnh cho người dân.",
               "public", "public_service", "QĐ 1024/QĐ-UBND", 640, "Chủ tịch UBND tỉnh",
               ["laocai.example", "www.laocai.example"], ["127.0.20.4"], "Trung tâm dữ liệu tỉnh"),
    "SUBPORTALS": ("Trung tâm CNTT&TT tỉnh", "Trang thông tin của các sở, ngành, huyện trên nền cổng dùng chung.",
                   "public", "public_service", "QĐ 90/QĐ-STTTT", 700, "Giám đốc Sở Thông tin và Truyền thông",
                   ["sotttt.laocai.example", "soyte.laocai.example"], ["127.0.20.5"], "Trung tâm dữ liệu tỉnh"),
    "CSDLDC": ("Trung tâm CNTT&TT tỉnh", "Dữ liệu dân cư, đất đai, doanh nghiệp dùng chung cho chính quyền số.",
               "confidential", "infrastructure", "QĐ 415/QĐ-UBND", 400, "Chủ tịch UBND tỉnh",
               [], [], "Trung tâm dữ liệu tỉnh, phân vùng cơ sở dữ liệu"),
    "LGSP": ("Trung tâm CNTT&TT tỉnh", "Kết nối, chia sẻ dữ liệu giữa các hệ thống của tỉnh và với NDXP.",
             "internal", "infrastructure", "QĐ 1025/QĐ-UBND", 640, "Chủ tịch UBND tỉnh",
             ["lgsp.laocai.example"], ["127.0.20.6"], "Trung tâm dữ liệu tỉnh"),
}

# hostname, kind, operating system, role, system code (or None)
SERVERS = (
    ("dc-hv-01", "physical", "VMware ESXi 8.0", "Máy chủ vật lý của cụm ảo hóa (nút 1)", None),
    ("dc-hv-02", "physical", "VMware ESXi 8.0", "Máy chủ vật lý của cụm ảo hóa (nút 2)", None),
    ("dc-db-01", "physical", "Oracle Linux 8.9", "Máy chủ cơ sở dữ liệu chính (Oracle 19c)", "CSDLDC"),
    ("dc-db-02", "physical", "Oracle Linux 8.9", "Máy chủ cơ sở dữ liệu dự phòng (Data Guard)", "CSDLDC"),
    ("dc-bak-01", "physical", "Windows Server 2019", "Máy chủ sao lưu (Veeam)", "CSDLDC"),
    ("dc-app-01", "virtual", "Windows Server 2019", "Máy chủ ứng dụng iOffice", "IOFFICE"),
    ("dc-app-02", "virtual", "Windows Server 2019", "Máy chủ ứng dụng iOffice (dự phòng)", "IOFFICE"),
    ("dc-igate-01", "virtual", "Rocky Linux 8.9", "Máy chủ ứng dụng iGate", "IGATE"),
    ("dc-igate-02", "virtual", "Rocky Linux 8.9", "Máy chủ cơ sở dữ liệu iGate (PostgreSQL 14)", "IGATE"),
    ("dc-mail-01", "virtual", "Ubuntu Server 22.04 LTS", "Máy chủ thư điện tử (Zimbra)", "MAIL"),
    ("dc-mail-02", "virtual", "Ubuntu Server 22.04 LTS", "Cổng lọc thư rác, chống mã độc", "MAIL"),
    ("dc-web-01", "virtual", "Ubuntu Server 22.04 LTS", "Máy chủ web Cổng thông tin điện tử tỉnh", "PORTAL"),
    ("dc-web-02", "virtual", "Ubuntu Server 20.04 LTS", "Máy chủ web các cổng thành phần", "SUBPORTALS"),
    ("dc-vc-01", "virtual", "Windows Server 2016", "Máy chủ quản lý hội nghị truyền hình", "VHC"),
    ("dc-lgsp-01", "virtual", "Red Hat Enterprise Linux 8.8", "Máy chủ nền tảng LGSP (WSO2)", "LGSP"),
)

# The controls expected on each shared server and where it sits (issue 7): hostname ->
# (firewall baseline, antivirus product, monitoring agent, host of a virtual machine, rack).
DATA_CENTRE = "Trung tâm dữ liệu tỉnh Lào Cai"
_AV, _AGENT = "Kaspersky Endpoint Security 12", "Agent giám sát NCSC (Wazuh 4.7)"
SERVER_CONTROLS = {
    "dc-hv-01": ("443/tcp, 902/tcp", "", _AGENT, None, "R01"),
    "dc-hv-02": ("443/tcp, 902/tcp", "", _AGENT, None, "R01"),
    "dc-db-01": ("22/tcp, 1521/tcp", _AV, _AGENT, None, "R02"),
    "dc-db-02": ("22/tcp, 1521/tcp", _AV, _AGENT, None, "R02"),
    "dc-bak-01": ("3389/tcp, 9392/tcp", _AV, _AGENT, None, "R03"),
    "dc-app-01": ("443/tcp, 3389/tcp", _AV, _AGENT, "dc-hv-01", "R01"),
    "dc-app-02": ("443/tcp, 3389/tcp", _AV, _AGENT, "dc-hv-02", "R01"),
    "dc-igate-01": ("22/tcp, 443/tcp", _AV, _AGENT, "dc-hv-01", "R01"),
    "dc-igate-02": ("22/tcp, 5432/tcp", _AV, _AGENT, "dc-hv-02", "R01"),
    "dc-mail-01": ("22/tcp, 25/tcp, 443/tcp, 587/tcp, 993/tcp", _AV, _AGENT, "dc-hv-01", "R01"),
    "dc-mail-02": ("22/tcp, 25/tcp", _AV, _AGENT, "dc-hv-02", "R01"),
    "dc-web-01": ("22/tcp, 80/tcp, 443/tcp", _AV, _AGENT, "dc-hv-01", "R01"),
    "dc-web-02": ("22/tcp, 80/tcp, 443/tcp", _AV, _AGENT, "dc-hv-02", "R01"),
    "dc-vc-01": ("443/tcp, 5060/udp, 10000-20000/udp", _AV, "", "dc-hv-01", "R01"),
    "dc-lgsp-01": ("22/tcp, 443/tcp, 8243/tcp", _AV, _AGENT, "dc-hv-02", "R01"),
}

# The four protection layers of each system (DOMAIN.md §4), dates in days relative to the day
# the demo is loaded: (layer, provider, reference, started days ago, ends in days or None for a
# standing decision). A realistic mix: most valid; iGate's monitoring contract and the portal's
# NCSC connection expiring; the video conference's inspection expired; the sub-portals not yet
# connected to NCSC (layer 4 missing); LGSP inspected by its own monitoring provider (not
# independent). Renewals keep the older record as history.
_ONSITE = "Trung tâm CNTT&TT tỉnh (đơn vị chuyên trách)"
_NCSC = "Trung tâm Giám sát an toàn không gian mạng quốc gia (NCSC)"
_SOC_VNPT, _SOC_VIETTEL = "VNPT Lào Cai – dịch vụ SOC", "Viettel Lào Cai – dịch vụ giám sát ATTT"
_AUDIT_A = "Công ty TNHH Kiểm định An toàn thông tin Tây Bắc"
_AUDIT_B = "Trung tâm Kiểm định và Đánh giá ATTT Miền Bắc"
LAYER_RECORDS = {
    "IOFFICE": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VNPT, "HĐ 12/2026/VNPT-LC", 150, 215),
                (2, _SOC_VNPT, "HĐ 09/2025/VNPT-LC", 515, -150), (3, _AUDIT_A, "BC 31/2026/KĐTB", 120, 245),
                (4, _NCSC, "Cảm biến NCSC-LCI-0012", 380, None)),
    "IGATE": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VIETTEL, "HĐ 45/2025/VTLC", 353, 12),
              (3, _AUDIT_B, "BC 08/2026/KĐMB", 200, 165), (4, _NCSC, "Cảm biến NCSC-LCI-0013", 380, None)),
    "MAIL": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VNPT, "HĐ 12/2026/VNPT-LC", 150, 215),
             (3, _AUDIT_A, "BC 32/2026/KĐTB", 90, 275), (4, _NCSC, "Cảm biến NCSC-LCI-0014", 60, None)),
    "VHC": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VNPT, "HĐ 12/2026/VNPT-LC", 150, 215),
            (3, _AUDIT_B, "BC 19/2024/KĐMB", 770, -40), (4, _NCSC, "Agent NCSC-LCI-0031", 300, None)),
    "PORTAL": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VIETTEL, "HĐ 46/2025/VTLC", 200, 165),
               (3, _AUDIT_A, "BC 27/2026/KĐTB", 150, 215), (4, _NCSC, "Cảm biến NCSC-LCI-0015", 340, 25)),
    "SUBPORTALS": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VIETTEL, "HĐ 46/2025/VTLC", 200, 165),
                   (3, _AUDIT_A, "BC 28/2026/KĐTB", 150, 215)),
    "CSDLDC": ((1, _ONSITE, "QĐ 216/QĐ-STTTT", 400, None), (2, _SOC_VNPT, "HĐ 13/2026/VNPT-LC", 100, 265),
               (2, _SOC_VNPT, "HĐ 10/2025/VNPT-LC", 465, -100), (3, _AUDIT_B, "BC 11/2026/KĐMB", 45, 320),
               (4, _NCSC, "Cảm biến NCSC-LCI-0016", 380, None)),
    "LGSP": ((1, _ONSITE, "QĐ 215/QĐ-STTTT", 400, None), (2, _SOC_VIETTEL, "HĐ 47/2025/VTLC", 250, 115),
             (3, _SOC_VIETTEL, "BC tự đánh giá 02/2026/VTLC", 80, 285), (4, _NCSC, "Agent NCSC-LCI-0017", 120, None)),
}

# Layer-3 assessments: system code -> (performed days ago, assessor, kind, report, summary,
# findings as (title, severity, owner, due in days, closed days ago or None)).
ASSESSMENTS = {
    "IOFFICE": (120, _AUDIT_A, "compliance", "BC 31/2026/KĐTB", "Đánh giá tuân thủ cấp độ 3 theo TCVN 11930:2017.", (
        ("Chưa bật xác thực hai yếu tố cho tài khoản quản trị", "high", "Phòng Hạ tầng – Trung tâm CNTT&TT", -30, 20),
        ("Nhật ký truy cập chỉ lưu 30 ngày", "medium", "Phòng Hạ tầng – Trung tâm CNTT&TT", 30, None))),
    "IGATE": (200, _AUDIT_B, "technical", "BC 08/2026/KĐMB", "Kiểm tra kỹ thuật, rà quét lỗ hổng ứng dụng web.", (
        ("Lỗ hổng XSS phản xạ trên trang tra cứu hồ sơ", "high", "Nhà phát triển iGate", -60, None),
        ("Phiên bản TLS 1.0 còn được chấp nhận", "medium", "Viettel Lào Cai", -20, 10))),
    "MAIL": (90, _AUDIT_A, "compliance", "BC 32/2026/KĐTB", "Đánh giá tuân thủ và cấu hình chống thư giả mạo.", (
        ("Chưa cấu hình DMARC ở chế độ reject", "medium", "Phòng Hạ tầng – Trung tâm CNTT&TT", 20, None),)),
    "VHC": (770, _AUDIT_B, "compliance", "BC 19/2024/KĐMB", "Đánh giá tuân thủ cấp độ 2.", ()),
    "PORTAL": (150, _AUDIT_A, "effectiveness", "BC 27/2026/KĐTB", "Đánh giá hiệu quả biện pháp bảo vệ.", (
        ("Thiếu tường lửa ứng dụng web (WAF) trước cổng", "critical", "Văn phòng UBND tỉnh", -10, None),)),
    "SUBPORTALS": (150, _AUDIT_A, "compliance", "BC 28/2026/KĐTB", "Đánh giá tuân thủ cấp độ 2.", ()),
    "CSDLDC": (45, _AUDIT_B, "technical", "BC 11/2026/KĐMB", "Kiểm thử xâm nhập cơ sở dữ liệu dùng chung.", (
        ("Tài khoản dịch vụ có quyền DBA không cần thiết", "high", "Phòng CSDL – Trung tâm CNTT&TT", 45, None),
        ("Chưa mã hóa bản sao lưu", "medium", "Phòng CSDL – Trung tâm CNTT&TT", 75, None))),
    "LGSP": (80, _SOC_VIETTEL, "compliance", "BC tự đánh giá 02/2026/VTLC", "Tự đánh giá của đơn vị giám sát.", ()),
}

# Who records the layers and assessments (the team's coordinator).
LAYER_AUTHOR = "nguyen.duc.thang"

# How many past months get a compliance snapshot, so the trend has a history.
SNAPSHOT_MONTHS = 6

# What responders write when an incident reaches a status, by category.
STEP_NOTES = {
    "dos": ("Bật chế độ lọc lưu lượng chống DDoS tại VNPT, giới hạn kết nối trên tường lửa.",
            "Chặn các dải địa chỉ nguồn của botnet; lưu lượng đã trở về mức bình thường.",
            "Dịch vụ hoạt động ổn định 24 giờ, tiếp tục theo dõi lưu lượng."),
    "spoofing": ("Thu hồi thư khỏi các hộp thư, chặn tên miền và địa chỉ gửi giả mạo.",
                 "Đổi mật khẩu các tài khoản đã nhập thông tin vào trang giả mạo.",
                 "Gửi cảnh báo tới cán bộ toàn tỉnh, các tài khoản hoạt động bình thường."),
    "malware": ("Cô lập máy bị nhiễm khỏi mạng, thu thập mẫu mã độc và nhật ký.",
                "Gỡ bỏ mã độc, cập nhật mẫu nhận diện cho phần mềm diệt virus.",
                "Quét lại toàn bộ, không còn dấu hiệu lây nhiễm; máy hoạt động trở lại."),
    "unauthorized_access": ("Khóa tài khoản bị chiếm quyền, chặn địa chỉ truy cập trái phép.",
                            "Vá lỗ hổng, đổi toàn bộ mật khẩu quản trị, bật xác thực hai yếu tố.",
                            "Kiểm tra lại nhật ký truy cập, hệ thống hoạt động bình thường."),
    "defacement": ("Tạm dừng trang bị thay đổi giao diện, hiển thị trang bảo trì.",
                   "Xóa tệp lạ, vá lỗ hổng plugin, rà soát toàn bộ mã nguồn.",
                   "Khôi phục trang từ bản sao lưu sạch, trang đã hoạt động trở lại."),
    "ransomware": ("Ngắt kết nối mạng máy bị mã hóa, giữ nguyên hiện trạng để thu thập chứng cứ.",
                   "Xác định dòng mã độc, xóa mã độc và các cơ chế duy trì.",
                   "Khôi phục dữ liệu từ bản sao lưu; không trả tiền chuộc."),
    "destruction": ("Khóa tài khoản liên quan, tạm dừng đồng bộ để tránh mất thêm dữ liệu.",
                    "Thu hồi quyền không cần thiết, rà soát phân quyền thư mục.",
                    "Khôi phục dữ liệu bị xóa từ bản sao lưu gần nhất."),
    "data_theft": ("Gỡ dữ liệu bị lộ, yêu cầu nền tảng xóa các bản sao công khai.",
                   "Xác định và đóng nguồn rò rỉ, thu hồi thông tin xác thực bị lộ.",
                   "Thông báo cho các bên liên quan, tăng cường giám sát truy cập dữ liệu."),
    "combined": ("Cô lập các máy chủ liên quan, chặn máy chủ điều khiển (C&C) trên tường lửa.",
                 "Xóa web shell và mã độc, vá các lỗ hổng bị khai thác.",
                 "Dựng lại máy chủ từ bản sạch, hệ thống được giám sát tăng cường."),
    "other": ("Khoanh vùng, đánh giá phạm vi ảnh hưởng.",
              "Khắc phục nguyên nhân gốc.",
              "Kiểm tra lại, hệ thống hoạt động bình thường."),
}

# Checklist added when an incident is triaged, by category: (title, status at which it is done).
STEP_TASKS = {
    "dos": (("Phối hợp VNPT bật lọc DDoS", "contained"), ("Tổng hợp danh sách IP tấn công", "eradicated")),
    "spoofing": (("Thu hồi thư giả mạo khỏi hộp thư", "contained"),
                 ("Gửi cảnh báo tới cán bộ toàn tỉnh", "recovered")),
    "malware": (("Cô lập máy và thu thập mẫu", "contained"), ("Quét toàn bộ mạng của đơn vị", "eradicated")),
    "unauthorized_access": (("Khóa tài khoản, đổi mật khẩu", "contained"), ("Rà soát nhật ký 30 ngày", "recovered")),
    "defacement": (("Sao lưu hiện trạng để làm chứng cứ", "contained"), ("Vá lỗ hổng và khôi phục trang", "recovered")),
    "ransomware": (("Xác định dòng mã độc", "eradicated"), ("Khôi phục dữ liệu từ bản sao lưu", "recovered")),
    "destruction": (("Khôi phục dữ liệu bị xóa", "recovered"), ("Rà soát phân quyền", "eradicated")),
    "data_theft": (("Yêu cầu gỡ dữ liệu bị lộ", "contained"), ("Đánh giá dữ liệu cá nhân bị ảnh hưởng", "recovered")),
    "combined": (("Thu thập ảnh bộ nhớ và nhật ký", "contained"), ("Dựng lại máy chủ từ bản sạch", "recovered")),
    "other": (("Đánh giá phạm vi ảnh hưởng", "contained"),),
}

SERIOUS_NOTE = ("Sự cố nghiêm trọng: đã báo cáo Trưởng Ban chỉ đạo và gửi thông báo sự cố ban đầu "
                "tới cơ quan điều phối quốc gia theo quy định.")

# One dict per incident. by: "liaison" (first member of the agency), "coordinator", or a
# username; source defaults to "manual". ago: days before today when it was discovered.
INCIDENTS = (
    # --- closed -----------------------------------------------------------------------
    dict(title="Thư điện tử giả mạo Kho bạc Nhà nước gửi tới cán bộ Sở Tài chính", agency="STC",
         category="spoofing", sub_type="phishing", priority="P2", tlp="AMBER", systems="MAIL",
         servers="dc-mail-01", ago=84, hour=8, by="liaison", status="closed",
         description="12 cán bộ nhận thư mạo danh Kho bạc Nhà nước tỉnh, yêu cầu đăng nhập để "
                     "“xác nhận đối chiếu số dư”. Hai người đã nhập mật khẩu thư công vụ.",
         close="Đã thu hồi thư, đổi mật khẩu 2 tài khoản. Bài học: bật DMARC chặt cho tên miền "
               "công vụ, tập huấn nhận diện thư giả mạo cho Sở Tài chính."),
    dict(title="Thay đổi giao diện Cổng thông tin điện tử huyện Bát Xát", agency="BATXAT",
         category="defacement", sub_type="vulnerability_exploit", priority="P2", tlp="GREEN",
         systems="SUBPORTALS", servers="dc-web-02", ago=78, hour=6, by="liaison", status="closed",
         description="Trang chủ cổng thông tin huyện hiển thị nội dung và hình ảnh lạ từ 6 giờ sáng.",
         notes=(("liaison", "note", "Người dân gọi điện báo qua đường dây nóng của huyện."),),
         close="Khai thác lỗ hổng plugin tải tệp cũ. Đã vá, khôi phục trang. Bài học: cập nhật "
               "plugin định kỳ hàng tháng cho toàn bộ cổng thành phần."),
    dict(title="Mã hóa dữ liệu (ransomware) trên máy tính kế toán Trường THPT số 1 Bảo Thắng",
         agency="SGDDT", category="ransomware", priority="P2", tlp="AMBER", ago=71, hour=14,
         by="liaison", status="closed",
         description="Toàn bộ tệp trên máy kế toán bị đổi đuôi .lockbit, xuất hiện tệp đòi tiền chuộc.",
         close="Dữ liệu kế toán được khôi phục từ bản sao lưu tuần. Bài học: sao lưu ngoại tuyến, "
               "không dùng tài khoản quản trị cho công việc hàng ngày."),
    dict(title="Dò quét mật khẩu (brute force) vào máy chủ thư điện tử công vụ", agency="STTTT",
         category="unauthorized_access", sub_type="brute_force", priority="P2", tlp="AMBER",
         systems="MAIL", servers="dc-mail-01, dc-mail-02", ago=66, hour=2, by="trinh.quang.huy",
         source="alert", status="closed",
         description="SOC VNPT cảnh báo hơn 40.000 lần đăng nhập sai trong 3 giờ từ nhiều địa chỉ nước ngoài.",
         close="Chặn theo địa lý, bật giới hạn đăng nhập và xác thực hai yếu tố cho quản trị viên."),
    dict(title="Tấn công từ chối dịch vụ (DDoS) vào Cổng dịch vụ công iGate", agency="VPUBND",
         category="dos", sub_type="botnet", severity="serious", priority="P1", tlp="AMBER",
         systems="IGATE", servers="dc-igate-01", ago=60, hour=9, by="coordinator", status="closed",
         description="Cổng dịch vụ công không truy cập được trong 2 giờ, lưu lượng đạt 8 Gbps.",
         close="Đã phối hợp VNPT lọc lưu lượng. Bài học: ký hợp đồng dịch vụ chống DDoS thường trực, "
               "đưa CDN vào trước cổng dịch vụ công."),
    dict(title="Mã độc đào tiền ảo trên máy chủ ứng dụng iOffice", agency="STTTT",
         category="malware", sub_type="cryptomining", priority="P2", tlp="AMBER", systems="IOFFICE",
         servers="dc-app-02", ago=55, hour=10, by="mai.xuan.truong", source="alert", status="closed",
         description="CPU máy chủ dự phòng iOffice luôn ở mức 100%, tiến trình lạ kết nối tới pool đào tiền ảo.",
         close="Mã độc vào qua dịch vụ quản trị từ xa để lộ ra Internet. Đã đóng cổng, gỡ mã độc."),
    dict(title="Lộ lọt danh sách bệnh nhân trên trang thông tin Trung tâm Y tế huyện Bảo Yên",
         agency="SYT", category="data_theft", sub_type="data_leak", severity="serious", priority="P1",
         tlp="RED", systems="SUBPORTALS", servers="dc-web-02", ago=48, hour=16, by="liaison",
         status="closed",
         description="Tệp Excel chứa họ tên, số CCCD, số điện thoại của khoảng 3.000 bệnh nhân được "
                     "đăng công khai và bị chia sẻ trên mạng xã hội.",
         close="Đã gỡ tệp, yêu cầu nền tảng xóa bài chia sẻ, thông báo cho người bị ảnh hưởng. "
               "Bài học: quy trình duyệt nội dung trước khi đăng."),
    dict(title="Phát hiện web shell trên Cổng thông tin điện tử thị xã Sa Pa", agency="SAPA",
         category="unauthorized_access", sub_type="web_shell", priority="P2", tlp="AMBER",
         systems="SUBPORTALS", servers="dc-web-02", ago=42, hour=11, by="ngo.thi.mai", status="closed",
         description="Rà soát định kỳ phát hiện tệp PHP lạ trong thư mục tải lên của cổng thị xã.",
         close="Đã xóa web shell, chặn thực thi mã trong thư mục tải lên, đổi khóa quản trị."),
    dict(title="Dữ liệu hồ sơ đất đai trên thư mục chia sẻ bị xóa hàng loạt", agency="STNMT",
         category="destruction", priority="P3", tlp="AMBER", ago=36, hour=15, by="liaison",
         status="closed",
         description="Khoảng 1.200 hồ sơ quét trên thư mục chia sẻ bị xóa bởi tài khoản của một "
                     "cán bộ đã nghỉ việc nhưng chưa bị khóa.",
         close="Khôi phục toàn bộ từ bản sao lưu. Bài học: khóa tài khoản ngay khi cán bộ nghỉ việc."),
    dict(title="Mất máy tính xách tay chứa tài liệu của Văn phòng UBND huyện Văn Bàn",
         agency="VANBAN", category="other", sub_type="lost_device", priority="P3",
         tlp="AMBER+STRICT", ago=30, hour=19, by="liaison", status="closed",
         description="Máy tính xách tay công vụ bị mất trên xe khách, ổ cứng không được mã hóa.",
         close="Đã đổi mật khẩu các tài khoản lưu trên máy, báo công an. Bài học: mã hóa ổ cứng "
               "toàn bộ máy xách tay công vụ."),
    dict(title="Chiến dịch tấn công có chủ đích (APT) nhắm vào Văn phòng UBND tỉnh",
         agency="VPUBND", category="combined", sub_type="apt", severity="serious", priority="P1",
         tlp="RED", systems="IOFFICE, MAIL", servers="dc-app-01, dc-mail-01", ago=26, hour=10,
         by="coordinator", status="closed",
         description="Thư giả mạo kèm tài liệu chứa mã độc gửi tới lãnh đạo; mã độc kết nối máy chủ "
                     "điều khiển ở nước ngoài và dò quét máy chủ iOffice.",
         notes=(("assignee", "action", "Đã gửi mẫu mã độc cho NCSC phân tích."),),
         close="Đã loại bỏ mã độc trên 4 máy, chặn C&C. Bài học: giám sát tập trung toàn bộ máy "
               "trạm lãnh đạo, diễn tập tình huống APT."),
    # --- rejected ---------------------------------------------------------------------
    dict(title="Báo cáo trùng: thư giả mạo Kho bạc gửi tới cán bộ Sở Tài chính", agency="STC",
         category="spoofing", sub_type="phishing", priority="P3", tlp="AMBER", systems="MAIL",
         ago=83, hour=9, by="nguyen.hoang.nam", status="rejected", reason="duplicate",
         description="Nhận được thư yêu cầu đăng nhập để xác nhận số dư tài khoản.",
         close="Trùng với sự cố thư giả mạo Kho bạc đã tiếp nhận trước đó."),
    dict(title="Cảnh báo truy cập bất thường vào LGSP từ địa chỉ nội bộ", agency="STTTT",
         category="unauthorized_access", priority="P3", tlp="AMBER", systems="LGSP",
         servers="dc-lgsp-01", ago=40, hour=23, by="trinh.quang.huy", source="alert",
         status="rejected", reject_from="triaged", reason="false_positive",
         description="Hệ thống giám sát cảnh báo số lượng lớn lời gọi API ngoài giờ hành chính.",
         close="Là tác vụ đồng bộ dữ liệu định kỳ mới được cấu hình; đã bổ sung vào danh sách cho phép."),
    dict(title="Tài khoản Facebook cá nhân của cán bộ huyện Bắc Hà bị chiếm quyền", agency="BACHA",
         category="other", priority="P4", tlp="CLEAR", ago=22, hour=20, by="liaison",
         status="rejected", reason="out_of_scope",
         description="Tài khoản cá nhân bị chiếm và nhắn tin vay tiền bạn bè.",
         close="Tài khoản cá nhân, không thuộc hệ thống của cơ quan; đã hướng dẫn khôi phục qua Facebook."),
    dict(title="Máy chủ hội nghị truyền hình gửi lưu lượng lớn bất thường", agency="VPUBND",
         category="dos", priority="P3", tlp="GREEN", systems="VHC", servers="dc-vc-01", ago=12,
         hour=8, by="ha.thi.thuy", source="alert", status="rejected", reject_from="triaged",
         reason="false_positive",
         description="Lưu lượng ra từ máy chủ hội nghị truyền hình tăng gấp 10 lần.",
         close="Lưu lượng của phiên họp trực tuyến toàn tỉnh tới 164 điểm cầu xã; không phải tấn công."),
    # --- recovered --------------------------------------------------------------------
    dict(title="Mã độc Emotet lây qua tệp đính kèm tại UBND huyện Bảo Thắng", agency="BAOTHANG",
         category="malware", sub_type="botnet", priority="P2", tlp="AMBER", systems="MAIL", ago=18,
         hour=9, by="liaison", status="recovered",
         description="Nhiều máy tính gửi thư hàng loạt sau khi một cán bộ mở tệp Word đính kèm."),
    dict(title="Khai thác lỗ hổng trên Hệ thống một cửa điện tử huyện Si Ma Cai", agency="SIMACAI",
         category="unauthorized_access", sub_type="vulnerability_exploit", priority="P2", tlp="AMBER",
         systems="IGATE", servers="dc-igate-01", ago=15, hour=13, by="phan.tuan.kiet", status="recovered",
         description="Tài khoản cán bộ một cửa bị đăng nhập từ nước ngoài, hồ sơ bị chỉnh sửa."),
    dict(title="Mã hóa dữ liệu máy chủ lưu trữ tại Văn phòng HĐND-UBND huyện Bắc Hà", agency="BACHA",
         category="ransomware", severity="serious", priority="P1", tlp="AMBER+STRICT", ago=11, hour=7,
         by="liaison", status="recovered",
         description="Máy chủ lưu trữ văn bản của huyện bị mã hóa, không truy cập được dữ liệu 5 năm.",
         notes=(("liaison", "note", "Đơn vị không tự xử lý được, đề nghị Đội ứng cứu hỗ trợ trực tiếp."),)),
    dict(title="Thay đổi giao diện trang tin Sở Kế hoạch và Đầu tư", agency="SKHDT",
         category="defacement", priority="P2", tlp="GREEN", systems="SUBPORTALS", servers="dc-web-02",
         ago=9, hour=5, by="coordinator", status="recovered",
         description="Trang tin của Sở bị chèn biểu ngữ của nhóm tin tặc."),
    # --- eradicated -------------------------------------------------------------------
    dict(title="Camera tại UBND thành phố Lào Cai bị nhiễm botnet Mirai", agency="TPLC",
         category="malware", sub_type="botnet", priority="P3", tlp="AMBER", ago=10, hour=3,
         by="trinh.quang.huy", source="alert", status="eradicated",
         description="VNPT phát hiện 6 camera IP kết nối tới máy chủ điều khiển botnet."),
    dict(title="Tấn công dò mật khẩu VPN của Sở Y tế", agency="SYT", category="unauthorized_access",
         sub_type="brute_force", priority="P2", tlp="AMBER", ago=8, hour=1, by="nong.van.cuong",
         source="alert", status="eradicated",
         description="Hàng nghìn lần đăng nhập VPN thất bại, 1 tài khoản đăng nhập thành công từ nước ngoài."),
    dict(title="Lộ thông tin tài khoản quản trị LGSP trên kho mã nguồn công khai", agency="STTTT",
         category="data_theft", sub_type="data_leak", severity="serious", priority="P1", tlp="RED",
         systems="LGSP", servers="dc-lgsp-01", ago=7, hour=15, by="coordinator", status="eradicated",
         description="Tệp cấu hình chứa khóa truy cập LGSP bị đưa lên kho mã nguồn công khai của nhà thầu."),
    dict(title="Cấu hình sai cho phép liệt kê thư mục trên Cổng thông tin điện tử tỉnh",
         agency="VPUBND", category="other", sub_type="misconfiguration", priority="P3", tlp="GREEN",
         systems="PORTAL", servers="dc-web-01", ago=6, hour=10, by="ngo.thi.mai", status="eradicated",
         description="Thư mục lưu tệp đính kèm cho phép liệt kê, lộ danh sách văn bản chưa công bố."),
    # --- contained --------------------------------------------------------------------
    dict(title="Thư giả mạo yêu cầu cập nhật thông tin tài khoản thư công vụ ngành giáo dục",
         agency="SGDDT", category="spoofing", sub_type="phishing", priority="P2", tlp="AMBER",
         systems="MAIL", servers="dc-mail-02", ago=6, hour=8, by="liaison", status="contained",
         description="Hơn 200 giáo viên nhận thư yêu cầu đăng nhập vào trang giả mạo hộp thư công vụ."),
    dict(title="DDoS vào Cổng thông tin điện tử tỉnh dịp cao điểm", agency="VPUBND", category="dos",
         sub_type="botnet", priority="P2", tlp="AMBER", systems="PORTAL", servers="dc-web-01", ago=5,
         hour=20, by="ha.thi.thuy", source="alert", status="contained",
         description="Cổng thông tin chậm, lưu lượng HTTP tăng đột biến từ hàng nghìn địa chỉ."),
    dict(title="Mã độc đánh cắp thông tin trên máy tính lãnh đạo Sở Tài chính", agency="STC",
         category="data_theft", sub_type="apt", severity="serious", priority="P1", tlp="RED", ago=4,
         hour=10, by="coordinator", status="contained",
         description="EDR phát hiện mã độc thu thập tài liệu và gửi ra máy chủ nước ngoài."),
    dict(title="Tài khoản iOffice của cán bộ huyện Văn Bàn bị đăng nhập trái phép", agency="VANBAN",
         category="unauthorized_access", priority="P3", tlp="AMBER", systems="IOFFICE",
         servers="dc-app-01", ago=4, hour=14, by="liaison", status="contained",
         description="Văn bản đi được ký và phát hành ngoài giờ mà cán bộ không thực hiện."),
    dict(title="Khai thác lỗ hổng và cài mã độc trên trang tin huyện Mường Khương",
         agency="MUONGKHUONG", category="combined", sub_type="web_shell", priority="P2", tlp="AMBER",
         systems="SUBPORTALS", servers="dc-web-02", ago=3, hour=9, by="phan.tuan.kiet",
         status="contained",
         description="Web shell và mã độc đào tiền ảo được cài qua lỗ hổng tải tệp của trang tin huyện."),
    # --- triaged ----------------------------------------------------------------------
    dict(title="Thay đổi giao diện trang tin Trường THCS thị trấn Phố Ràng", agency="BAOYEN",
         category="defacement", priority="P3", tlp="GREEN", ago=2, hour=7, by="liaison", status="triaged",
         description="Trang tin của trường hiển thị hình ảnh và thông điệp của tin tặc."),
    dict(title="Ransomware trên máy tính bộ phận một cửa Sở Tài nguyên và Môi trường", agency="STNMT",
         category="ransomware", priority="P2", tlp="AMBER", systems="IGATE", ago=2, hour=9,
         by="liaison", status="triaged",
         description="Máy tính tiếp nhận hồ sơ bị mã hóa, không in được phiếu hẹn."),
    dict(title="Tấn công từ chối dịch vụ vào hệ thống thư điện tử công vụ", agency="STTTT",
         category="dos", priority="P2", tlp="AMBER", systems="MAIL", servers="dc-mail-02", ago=1,
         hour=4, by="trinh.quang.huy", source="alert", status="triaged",
         description="Cổng lọc thư nhận lượng kết nối SMTP gấp 50 lần bình thường, thư đến bị trễ."),
    dict(title="Tin nhắn Zalo giả mạo lãnh đạo UBND huyện Bát Xát yêu cầu chuyển tiền",
         agency="BATXAT", category="spoofing", priority="P3", tlp="GREEN", ago=3, hour=16,
         by="liaison", status="triaged",
         description="Tài khoản Zalo dùng ảnh và tên Chủ tịch huyện nhắn tin cho cán bộ yêu cầu chuyển tiền."),
    dict(title="Phát hiện mã độc trên máy chủ cơ sở dữ liệu dùng chung", agency="STTTT",
         category="malware", priority="P1", tlp="AMBER+STRICT", systems="CSDLDC", servers="dc-db-01",
         ago=1, hour=2, by="nong.van.cuong", source="alert", status="triaged",
         description="Tác tử giám sát phát hiện tệp thực thi lạ trong thư mục tạm của máy chủ CSDL."),
    dict(title="Truy cập trái phép thiết bị mạng tại UBND thị xã Sa Pa", agency="SAPA",
         category="unauthorized_access", sub_type="misconfiguration", priority="P3", tlp="AMBER",
         ago=2, hour=15, by="liaison", status="triaged",
         description="Bộ định tuyến dùng mật khẩu mặc định, cấu hình bị thay đổi, DNS trỏ sang máy chủ lạ."),
    # --- new --------------------------------------------------------------------------
    dict(title="Thư điện tử chứa tệp đính kèm lạ gửi tới Sở Y tế", agency="SYT", category="spoofing",
         sub_type="phishing", priority="P3", tlp="GREEN", systems="MAIL", ago=0, hour=8,
         by="liaison", status="new",
         description="Thư mạo danh Bộ Y tế kèm tệp nén “Cong van khan.rar”, chưa ai mở."),
    dict(title="Máy tính bộ phận một cửa huyện Bảo Thắng chạy chậm, nghi nhiễm mã độc",
         agency="BAOTHANG", category="malware", priority="P4", tlp="GREEN", ago=0, hour=9,
         by="nguyen.thi.lien", status="new",
         description="Máy tự bật quảng cáo, phần mềm diệt virus bị tắt."),
    dict(title="Nghi lộ lọt dữ liệu học sinh trên mạng xã hội", agency="SGDDT", category="data_theft",
         sub_type="data_leak", priority="P2", tlp="AMBER", ago=1, hour=21, by="liaison", status="new",
         description="Một nhóm mạng xã hội rao bán danh sách học sinh kèm số điện thoại phụ huynh."),
    dict(title="Dò quét cổng hàng loạt vào dải máy chủ Trung tâm dữ liệu", agency="CSIRT",
         category="other", priority="P4", tlp="CLEAR", ago=0, hour=3, by="mai.xuan.truong",
         source="alert", status="new",
         description="Viettel ghi nhận dò quét toàn bộ cổng dịch vụ của dải địa chỉ Trung tâm dữ liệu."),
    dict(title="Trang con cổng thông tin huyện Văn Bàn hiển thị quảng cáo cờ bạc", agency="VANBAN",
         category="defacement", sub_type="web_shell", priority="P2", tlp="GREEN",
         systems="SUBPORTALS", servers="dc-web-02", ago=1, hour=10, by="liaison", status="new",
         description="Kết quả tìm kiếm hiển thị trang con của cổng huyện với nội dung cờ bạc trực tuyến."),
    dict(title="Bản sao lưu trên máy chủ sao lưu bị xóa bất thường", agency="STTTT",
         category="destruction", priority="P2", tlp="AMBER+STRICT", systems="CSDLDC",
         servers="dc-bak-01", ago=0, hour=6, by="coordinator", source="check", status="new",
         description="Kiểm tra định kỳ phát hiện 3 điểm khôi phục gần nhất đã bị xóa khỏi kho sao lưu."),
)


# The demo's on-call rotation (key named by the playbooks' `{rotation: responders}`): weekly,
# hand-over on Monday at 08:00 in Hà Nội time; the CSIRT's and VNPT's responders take the primary
# turns, the CSIRT's coordinators back them up as the secondary.
ROTATION = {
    "key": "responders", "name": "Trực ứng cứu", "time_zone": "Asia/Ho_Chi_Minh", "handover_time": "08:00",
    "shift_kind": "weekly",
    "description": "Trực ứng cứu sự cố 24/7 của Đội ứng cứu sự cố tỉnh: người trực chính tiếp nhận và "
                   "xử lý cảnh báo; người trực dự phòng được chuyển cấp khi trực chính chưa tiếp nhận.",
    "layers": (("primary", ("Đỗ Văn Hùng", "Bùi Thanh Sơn", "Đặng Minh Quang", "Ngô Thị Mai", "Trịnh Quang Huy")),
               ("secondary", ("Trần Quốc Khánh", "Phạm Thị Lan", "Nguyễn Đức Thắng"))),
}
