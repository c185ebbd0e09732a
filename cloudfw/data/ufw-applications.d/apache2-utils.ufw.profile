[Apache]
title=Apache HTTP server
description=The Apache web server, plain HTTP.
ports=80/tcp

[Apache Secure]
title=Apache HTTP server (HTTPS)
description=The Apache web server, HTTPS only.
ports=443/tcp

[Apache Full]
title=Apache HTTP server (HTTP and HTTPS)
description=The Apache web server, HTTP and HTTPS.
ports=80,443/tcp
