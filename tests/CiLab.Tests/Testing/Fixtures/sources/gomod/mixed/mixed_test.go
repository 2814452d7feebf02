package mixed

import "testing"

func TestPasses(t *testing.T) { t.Log("all good") }

func TestFails(t *testing.T) {
	t.Log("about to compare")
	if 1+1 != 3 {
		t.Errorf("1+1 = %d, want 3", 1+1)
	}
}

func TestSkips(t *testing.T) { t.Skip("needs a real disk") }

func TestTable(t *testing.T) {
	for _, name := range []string{"good", "bad"} {
		t.Run(name, func(t *testing.T) {
			if name == "bad" {
				t.Fatal("bad case broke")
			}
		})
	}
}

func TestColours(t *testing.T) { t.Log("\x1b[31mred\x1b[0m and a bell \x07 and \xff\xfe bytes") }
