from school_journal.cli import main

raise SystemExit(main())
