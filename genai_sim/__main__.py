from genai_sim.cli import main

raise SystemExit(main())
