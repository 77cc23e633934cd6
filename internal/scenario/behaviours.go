// The surveillance: channels and the behaviours: they detect.

package scenario

func (v *validator) channelNames() []string {
	if v.channelList == nil {
		v.channelList = make([]string, 0, len(v.s.Surveillance.Channels))
		for _, c := range v.s.Surveillance.Channels {
			v.channelList = append(v.channelList, c.Name)
		}
	}
	return v.channelList
}

func (v *validator) surveillance() {
	var poss []Pos
	for _, c := range v.s.Surveillance.Channels {
		poss = append(poss, c.Pos)
		switch {
		case c.Detect != nil && c.PerCamera != 0:
			v.d.add(c.Pos, "channel %s: give detect or per_camera, not both", c.Name)
		case c.Detect != nil:
			v.prob(c.Pos, "channel "+c.Name+": detect", *c.Detect)
		case c.PerCamera < 0 || c.PerCamera > 100:
			v.d.add(c.Pos, "channel %s: per_camera must be in [0, 100], got %g", c.Name, c.PerCamera)
		case c.PerCamera == 0 && len(c.Where) == 0:
			v.d.add(c.Pos, "channel %s: needs detect or per_camera", c.Name)
		}
		for _, w := range c.Where {
			v.where(w.Pos, w.Region, "", "")
			v.prob(w.Pos, "channel "+c.Name+": where.detect", w.Detect)
		}
	}
	v.unique("channel", v.channelNames(), poss)
}

func (v *validator) behaviourNames() []string {
	if v.behaviourList == nil {
		v.behaviourList = make([]string, 0, len(v.s.Behaviours))
		for _, b := range v.s.Behaviours {
			v.behaviourList = append(v.behaviourList, b.Name)
		}
	}
	return v.behaviourList
}

func (v *validator) behaviours() {
	var poss []Pos
	for k, b := range v.s.Behaviours {
		poss = append(poss, b.Pos)
		if b.Name == PartneredEvent {
			v.d.add(b.Pos, "behaviour name %q is the event of a partnership forming (on: %s); choose another", b.Name, PartneredEvent)
		}
		if b.Channel != "" {
			v.known(v.at(b.Pos, "behaviours[%d].channel", k), "channel", b.Channel, v.channelNames())
		}
		if b.Gravity < 0 || b.Gravity > 10 {
			v.d.add(v.at(b.Pos, "behaviours[%d].gravity", k), "behaviour %s: gravity must be in [0, 10], got %g", b.Name, b.Gravity)
		}
		v.prob(b.Chill.Pos, "behaviour "+b.Name+": chill.peers", b.Chill.Peers)
		v.prob(b.Chill.Pos, "behaviour "+b.Name+": chill.self", b.Chill.Self)
		if b.Chill.Memory < 0 || b.Chill.Memory > MaxDays {
			v.d.add(b.Chill.Pos, "behaviour %s: chill.memory must be >= 0 days", b.Name)
		}
	}
	v.unique("behaviour", v.behaviourNames(), poss)
}
